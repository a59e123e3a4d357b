"""§4 asynchronous rows: submission, the job state machine on the emulator clock, paged results."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from sfmc_actions.emulator import Clock

from .conftest import rows_of

URL = "/data/v1/async/dataextensions/key:Orders/rows"


async def _status(client: httpx.AsyncClient, auth: dict[str, str], request_id: str) -> dict:  # type: ignore[type-arg]
    response = await client.get(f"/data/v1/async/{request_id}/status", headers=auth)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_job_moves_from_invisible_to_complete(
    client: httpx.AsyncClient, auth: dict[str, str], clock: Clock, app: Starlette
) -> None:
    items = [{"Order_ID": "o1", "Revenue": 10}, {"Order_ID": "o2", "Currency": "EUR"}]
    response = await client.put(URL, headers=auth, json={"items": items})
    assert response.status_code == 202
    body = response.json()
    assert body["resultMessages"] == [] and len(body["requestId"]) == 36
    job = body["requestId"]
    hidden = await _status(client, auth, job)
    assert "status" not in hidden and hidden["requestId"] != job
    assert hidden["resultMessages"][0]["resultCode"] == "AsyncRequestStatusNotFound"
    assert job in hidden["resultMessages"][0]["message"]
    assert rows_of(app, "Orders") == []  # nothing applied before the job runs
    clock.advance(0.25)
    pending = await _status(client, auth, job)
    assert pending["status"]["requestStatus"] == "Pending" and pending["status"]["requestId"] == job
    clock.advance(0.1)
    assert (await _status(client, auth, job))["status"]["requestStatus"] == "Executing"
    clock.advance(0.1)
    done = (await _status(client, auth, job))["status"]
    assert done["requestStatus"] == "Complete" and done["resultStatus"] == "OK" and done["hasErrors"] is False
    assert set(done) == {
        "callDateTime",
        "completionDateTime",
        "hasErrors",
        "pickupDateTime",
        "requestStatus",
        "resultStatus",
        "requestId",
    }
    assert "Z" not in done["callDateTime"] and "+" not in done["callDateTime"]
    assert {r["Order_ID"] for r in rows_of(app, "Orders")} == {"o1", "o2"}
    results = (await client.get(f"/data/v1/async/{job}/results", headers=auth)).json()
    assert results == {
        "page": 1,
        "pageSize": 50,
        "count": 2,
        "requestId": job,
        "resultMessages": [],
        "items": [{"message": "Upserted DataExtensionObject", "status": "OK"}] * 2,
    }


async def test_row_errors_show_only_in_results(client: httpx.AsyncClient, auth: dict[str, str], clock: Clock) -> None:
    await client.put(URL, headers=auth, json={"items": [{"Order_ID": "dup", "Revenue": 1}]})
    clock.advance(1)
    items = [{"Revenue": 5}, {"Order_ID": "x", "Revenue": "lots"}, {"Order_ID": "dup"}, {"Order_ID": "new"}]
    response = await client.post(URL, headers=auth, json={"items": items})  # POST: insert only
    assert response.status_code == 202
    clock.advance(1)
    job = response.json()["requestId"]
    status = (await _status(client, auth, job))["status"]
    assert status["resultStatus"] == "Has Errors" and status["hasErrors"] is True
    results = (await client.get(f"/data/v1/async/{job}/results?$page=1&$pageSize=2", headers=auth)).json()
    assert results["count"] == 4 and len(results["items"]) == 2
    missing, bad_type = results["items"]
    assert missing == {
        "errorCode": 2,
        "message": "Cannot locate the existing record. Required keys are missing.",
        "status": "Error",
        "errors": [
            {"errorMessage": "Column [order_id] does not allow null value.", "name": "order_id", "errorCode": 70001}
        ],
    }
    assert bad_type["errors"][0]["errorCode"] == 70001 and "Revenue" in bad_type["errors"][0]["errorMessage"]
    page2 = (await client.get(f"/data/v1/async/{job}/results?$page=2&$pageSize=2", headers=auth)).json()["items"]
    assert page2[0]["errorCode"] == "UnexpectedError" and "Violation of PRIMARY KEY constraint" in page2[0]["message"]
    assert page2[0]["message"].endswith("The duplicate key value is (dup).\r\nThe statement has been terminated.")
    assert page2[1] == {"message": "Inserted DataExtensionObject", "status": "OK"}


async def test_submission_errors(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    unknown = await client.put("/data/v1/async/dataextensions/key:Nope/rows", headers=auth, json={"items": []})
    assert unknown.status_code == 400
    message = unknown.json()["resultMessages"][0]
    assert message["resultCode"] == "CustomObjectNotFound" and message["resultType"] == "Operational"
    assert message["message"].endswith("[Id: , Key: Nope].")
    guid = "ed9b5f8e-ebb7-e711-8103-005056b37304"
    by_id = await client.put(f"/data/v1/async/dataextensions/{guid}/rows", headers=auth, json={"items": []})
    assert by_id.json()["resultMessages"][0]["message"].endswith(f"[Id: {guid}, Key: ].")
    malformed = await client.put("/data/v1/async/dataextensions/12/rows", headers=auth, json={"items": []})
    assert malformed.json() == {"message": "Parameter {id} is invalid.", "errorcode": 10001, "documentation": ""}
    nested = await client.put(URL, headers=auth, json={"items": [{"keys": {"Order_ID": "1"}, "values": {}}]})
    assert nested.status_code == 400 and "items[0].keys" in nested.json()["message"]
    too_many = await client.put(URL, headers=auth, json={"items": [{"Order_ID": str(i)} for i in range(32_001)]})
    assert too_many.status_code == 400 and "32000" in too_many.json()["message"]


async def test_unknown_request_id_is_not_found_for_status_and_results(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for what in ("status", "results"):
        body = (await client.get(f"/data/v1/async/00000000-0000-0000-0000-000000000000/{what}", headers=auth)).json()
        assert body["resultMessages"][0]["resultCode"] == "AsyncRequestStatusNotFound"
