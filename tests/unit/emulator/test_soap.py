"""§7 SOAP: Retrieve DataFolder with filter and paging, Delete DataExtensionObject, token faults."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
from starlette.applications import Starlette

from sfmc_actions.emulator import Clock, create_app

from .conftest import CREDENTIALS, rows_of

NS = {"s": "http://schemas.xmlsoap.org/soap/envelope/", "p": "http://exacttarget.com/wsdl/partnerAPI"}


def envelope(token: str, body: str) -> str:
    return (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><SOAP-ENV:Header>'
        f'<fueloauth xmlns="http://exacttarget.com">{token}</fueloauth></SOAP-ENV:Header>'
        f"<SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )


def retrieve(object_type: str = "DataFolder", extra: str = "") -> str:
    return (
        '<RetrieveRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI"><RetrieveRequest>'
        f"<ObjectType>{object_type}</ObjectType><Properties>ID</Properties><Properties>Name</Properties>"
        f"{extra}</RetrieveRequest></RetrieveRequestMsg>"
    )


CONTENT_TYPE_FILTER = (
    '<Filter xsi:type="SimpleFilterPart"><Property>ContentType</Property>'
    "<SimpleOperator>equals</SimpleOperator><Value>dataextension</Value></Filter>"
)

SEED = {
    "tenants": [
        {
            "subdomain": "mcsoap",
            "mids": [7],
            "packages": [{"client_id": "c", "client_secret": "s"}],
            "folders": [
                {"id": i, "name": f"Folder {i}", "content_type": "dataextension" if i % 2 else "email", "parent_id": 0}
                for i in range(1, 8)
            ],
            "data_extensions": [{"name": "Members", "folder": 1, "fields": [{"name": "Key", "primary_key": True}]}],
        }
    ]
}


async def _post(client: httpx.AsyncClient, body: str, path: str = "/Service.asmx") -> ET.Element:
    response = await client.post(path, content=body, headers={"Content-Type": "text/xml", "SOAPAction": "Retrieve"})
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    root.set("status", str(response.status_code))
    return root


async def test_retrieve_data_folders_with_filter_and_paging() -> None:
    app = create_app(SEED)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        token = (
            await client.post(
                "/v2/token", json={"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
            )
        ).json()["access_token"]
        first = await _post(
            client,
            envelope(token, retrieve(extra="<Options><BatchSize>3</BatchSize></Options>" + CONTENT_TYPE_FILTER)),
            "/service.asmx",
        )
        msg = first.find("s:Body/p:RetrieveResponseMsg", NS)
        assert msg is not None and first.get("status") == "200"
        assert msg.findtext("p:OverallStatus", namespaces=NS) == "MoreDataAvailable"
        ids = [r.findtext("p:ID", namespaces=NS) for r in msg.findall("p:Results", NS)]
        assert ids == ["1", "3", "5"]
        assert msg.findall("p:Results", NS)[0].findtext("p:ContentType", namespaces=NS) == "dataextension"
        request_id = msg.findtext("p:RequestID", namespaces=NS)
        more = await _post(client, envelope(token, retrieve(extra=f"<ContinueRequest>{request_id}</ContinueRequest>")))
        rest = more.find("s:Body/p:RetrieveResponseMsg", NS)
        assert rest is not None and rest.findtext("p:OverallStatus", namespaces=NS) == "OK"
        assert [r.findtext("p:ID", namespaces=NS) for r in rest.findall("p:Results", NS)] == ["7"]
        unknown = await _post(client, envelope(token, retrieve("dataFolder")))
        status = unknown.findtext("s:Body/p:RetrieveResponseMsg/p:OverallStatus", namespaces=NS)
        assert status == (
            "Error: Unable to find a handler for object type: dataFolder. Object types are "
            "case-sensitive, check spelling."
        )


async def test_expired_or_missing_token_gets_the_security_fault(client: httpx.AsyncClient, clock: Clock) -> None:
    token = (await client.post("/v2/token", json=CREDENTIALS)).json()["access_token"]
    clock.advance(1201)
    for value in (token, "", "unknown"):
        root = await _post(client, envelope(value, retrieve()))
        assert root.get("status") == "500"
        fault = root.find("s:Body/s:Fault", NS)
        assert fault is not None and fault.findtext("faultstring") == "Token Expired"
        assert fault.findtext("faultcode") == "q0:Security"
        assert fault.findtext("faultactor", "").endswith(".soap.marketingcloudapis.com/Service.asmx")


async def test_delete_data_extension_object_by_primary_key(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette
) -> None:
    rows = [{"keys": {"contactKey": k}, "values": {"In_Audience": True}} for k in ("a", "b")]
    await client.post("/hub/v1/dataevents/key:Audience_VIP/rowset", headers=auth, json=rows)
    token = auth["Authorization"].split()[1]

    def delete(key: str, de: str = "Audience_VIP", column: str = "contactKey") -> str:
        return (
            '<DeleteRequest xmlns="http://exacttarget.com/wsdl/partnerAPI"><Objects xsi:type="DataExtensionObject">'
            f"<CustomerKey>{de}</CustomerKey><Keys><Key><Name>{column}</Name><Value>{key}</Value></Key></Keys>"
            "</Objects></DeleteRequest>"
        )

    root = await _post(client, envelope(token, delete("A")))
    response = root.find("s:Body/p:DeleteResponse", NS)
    assert response is not None and response.findtext("p:OverallStatus", namespaces=NS) == "OK"
    assert response.findtext("p:Results/p:StatusMessage", namespaces=NS) == "Deleted DataExtensionObject"
    assert [r["contactKey"] for r in rows_of(app, "Audience_VIP")] == ["b"]
    for body in (delete("a"), delete("b", de="Nope"), delete("b", column="Email")):
        again = (await _post(client, envelope(token, body))).find("s:Body/p:DeleteResponse", NS)
        assert again is not None and again.findtext("p:Results/p:StatusCode", namespaces=NS) == "Error"
    assert [r["contactKey"] for r in rows_of(app, "Audience_VIP")] == ["b"]


async def test_malformed_xml_is_a_client_fault(client: httpx.AsyncClient) -> None:
    root = await _post(client, "<not xml")
    assert root.get("status") == "500" and root.findtext("s:Body/s:Fault/faultcode", namespaces=NS) == "soap:Client"


def _delete_objects(*objects: tuple[str, dict[str, str]]) -> str:
    body = "".join(
        f'<Objects xsi:type="DataExtensionObject"><CustomerKey>{de}</CustomerKey><Keys>'
        + "".join(f"<Key><Name>{n}</Name><Value>{v}</Value></Key>" for n, v in keys.items())
        + "</Keys></Objects>"
        for de, keys in objects
    )
    return f'<DeleteRequest xmlns="http://exacttarget.com/wsdl/partnerAPI">{body}</DeleteRequest>'


async def test_delete_answers_per_object_with_key_errors_and_has_errors(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette
) -> None:
    rows = [{"keys": {"contactKey": k}, "values": {"In_Audience": True}} for k in ("a", "b", "c")]
    await client.post("/hub/v1/dataevents/key:Audience_VIP/rowset", headers=auth, json=rows)
    token = auth["Authorization"].split()[1]
    request = _delete_objects(
        ("Audience_VIP", {"contactKey": "a"}),  # deleted
        ("Audience_VIP", {"contactKey": "zz"}),  # no such row
        ("Audience_VIP", {"Email": "x@example.com"}),  # not a primary key column; the key is missing
        ("Audience_VIP", {"contactKey": "c"}),  # deleted
    )
    response = (await _post(client, envelope(token, request))).find("s:Body/p:DeleteResponse", NS)
    assert response is not None and response.findtext("p:OverallStatus", namespaces=NS) == "Has Errors"
    results = response.findall("p:Results", NS)
    assert [r.findtext("p:OrdinalID", namespaces=NS) for r in results] == ["0", "1", "2", "3"]
    assert [r.findtext("p:StatusCode", namespaces=NS) for r in results] == ["OK", "Error", "Error", "OK"]
    xsi_type = "{http://www.w3.org/2001/XMLSchema-instance}type"
    assert {r.get(xsi_type) for r in results} == {"DataExtensionDeleteResult"}
    assert "not found" in (results[1].findtext("p:ErrorMessage", namespaces=NS) or "")
    key_errors = results[2].findall("p:KeyErrors/p:KeyError", NS)
    assert [k.findtext("p:Name", namespaces=NS) for k in key_errors] == ["Email", "contactKey"]
    assert all(
        k.findtext("p:ErrorCode", namespaces=NS) and k.findtext("p:ErrorMessage", namespaces=NS) for k in key_errors
    )
    assert [r["contactKey"] for r in rows_of(app, "Audience_VIP")] == ["b"]
    again = await _post(client, envelope(token, _delete_objects(("Audience_VIP", {"contactKey": "a"}))))
    assert again.findtext("s:Body/p:DeleteResponse/p:OverallStatus", namespaces=NS) == "Error"


async def test_delete_partial_failure_fault_and_missing_row_option(
    client: httpx.AsyncClient, auth: dict[str, str], app: Starlette
) -> None:
    rows = [{"keys": {"contactKey": k}, "values": {"In_Audience": True}} for k in ("a", "b")]
    await client.post("/hub/v1/dataevents/key:Audience_VIP/rowset", headers=auth, json=rows)
    token = auth["Authorization"].split()[1]
    rule = {"fault": "reject_row", "route": "soap", "rows": [1], "message": "Error: locked"}
    assert (await client.post("/__emulator/faults", json=rule)).status_code == 200
    request = _delete_objects(("Audience_VIP", {"contactKey": "a"}), ("Audience_VIP", {"contactKey": "b"}))
    response = (await _post(client, envelope(token, request))).find("s:Body/p:DeleteResponse", NS)
    assert response is not None and response.findtext("p:OverallStatus", namespaces=NS) == "Has Errors"
    assert [r.findtext("p:StatusMessage", namespaces=NS) for r in response.findall("p:Results", NS)] == [
        "Deleted DataExtensionObject",
        "Error: locked",
    ]
    assert [r["contactKey"] for r in rows_of(app, "Audience_VIP")] == ["b"]  # the rejected row stays
    await client.delete("/__emulator/faults")
    await client.patch("/__emulator/options", json={"delete_missing_row": "ok"})
    missing = _delete_objects(("Audience_VIP", {"contactKey": "gone"}))
    answer = (await _post(client, envelope(token, missing))).find("s:Body/p:DeleteResponse", NS)
    assert answer is not None and answer.findtext("p:Results/p:StatusCode", namespaces=NS) == "OK"
