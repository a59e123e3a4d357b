"""Asynchronous rows (§4): `POST|PUT /data/v1/async/dataextensions/{id|key:K}/rows`, `/status`, `/results`.

A submission is answered 202 at once; rows are checked only when the job runs, and problems show
up in `/results`, never in the submission (§4 T7 OBS). A job is invisible for a moment (status says
AsyncRequestStatusNotFound), then Pending, Executing and Complete, on the emulator's clock.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.model import AsyncJob, DataExtension
from sfmc_actions.emulator.responses import (
    JsonBodyError,
    json_response,
    read_json,
    result_message,
    sfmc_time,
    validation,
)
from sfmc_actions.emulator.row_checks import check_flat_item, check_required
from sfmc_actions.emulator.state import EmulatorState, is_guid, new_guid

MAX_ITEMS = 32_000  # §4 S5 DOC, hard limit
DEADLOCK = (
    "Transaction (Process ID {pid}) was deadlocked on lock resources with another process and has been "
    "chosen as the deadlock victim. Rerun the transaction."
)  # §4 T1 OBS
MISSING_KEYS = "Cannot locate the existing record. Required keys are missing."  # §4 T1 OBS


def _not_found_body(request_id: str) -> dict[str, Any]:
    message = f"Unable to locate an Async Request Status Record for the provided RequestId: {request_id}."
    return {"requestId": new_guid(), "resultMessages": [result_message("AsyncRequestStatusNotFound", message)]}


async def submit(call: Call) -> Response:
    ref: str = call.request.path_params["ref"]
    is_key = ref[:4].lower() == "key:"
    if not is_key and not is_guid(ref):
        return validation("Parameter {id} is invalid.", 10001)  # §4 T1
    de = call.state.find_de(call.scoped_tenant, call.mid, ref)
    if de is None:
        ident, key = ("", ref[4:]) if is_key else (ref, "")
        message = (
            "Failed to resolve the Custom Object from the provided ObjectReferenceIdentifier "
            f"[Id: {ident}, Key: {key}]."
        )
        body = {"requestId": new_guid(), "resultMessages": [result_message("CustomObjectNotFound", message)]}
        return json_response(body, 400)  # §4 S9 current docs: 400, not queued
    try:
        body = await read_json(call.request)
    except JsonBodyError as exc:
        return exc.response
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return validation('The request body must be an object with an "items" array of column-value objects.')
    if len(items) > MAX_ITEMS:
        return validation(f"The request has {len(items)} items; the maximum is {MAX_ITEMS} per request.")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return validation(f"Unable to deserialize items[{i}]: each item must be an object of column values.")
        for name, value in item.items():
            if isinstance(value, (dict, list)):
                # §4 T7 OBS: nested objects fail deserialization "at exactly that key".
                return validation(
                    f"Unable to deserialize items[{i}].{name}: a column value cannot be an object "
                    "or array. Send flat column-value items, not {keys, values}."
                )
    now, options = call.state.clock.now(), call.state.options
    visible = now + options.async_not_visible_seconds
    pickup = visible + options.async_pending_seconds
    deadlocks: set[int] = set()
    for rule in call.row_faults:
        if rule.fault == "deadlock":
            deadlocks |= rule.row_hits(len(items))
    job = AsyncJob(
        id=new_guid(),
        subdomain=call.scoped_tenant.subdomain,
        mid=call.mid,
        de_id=de.id,
        insert_only=call.request.method == "POST",
        items=items,
        submitted_at=now,
        visible_at=visible,
        pickup_at=pickup,
        completed_at=pickup + options.async_executing_seconds,
        deadlock_rows=frozenset(deadlocks),
    )
    call.state.add_job(job)
    return json_response({"requestId": job.id, "resultMessages": []}, 202)  # §4: 202 with both fields


def run_job(state: EmulatorState, job: AsyncJob) -> None:
    """Apply a job's rows in submission order and record one result per item (§4 results shape)."""
    tenant = state.tenants.get(job.subdomain)
    de = tenant.data_extensions.get(job.de_id) if tenant else None
    job.results = [_apply(state, de, job, i, item) for i, item in enumerate(job.items)]


def _apply(
    state: EmulatorState, de: DataExtension | None, job: AsyncJob, index: int, item: dict[str, Any]
) -> dict[str, Any]:
    if de is None:
        return {"errorCode": 2, "message": "The data extension no longer exists.", "status": "Error"}
    if index in job.deadlock_rows:
        return {"errorCode": 2, "message": DEADLOCK.format(pid=6840 + index), "status": "Error"}
    check = check_flat_item(de, item, state.options)
    if check.missing_keys:
        errors = [
            {
                "errorMessage": f"Column [{name.lower()}] does not allow null value.",
                "name": name.lower(),
                "errorCode": 70001,
            }
            for name in check.missing_keys
        ]
        return {"errorCode": 2, "errors": errors, "message": MISSING_KEYS, "status": "Error"}
    exists = state.pk_of(de, check.row) in de.rows
    check_required(de, check, state.options, exists)
    if check.bad_columns:
        errors = [
            {"errorMessage": f"Column [{name}] {problem}", "name": name, "errorCode": 70001}
            for name, problem in check.bad_columns
        ]
        return {
            "errorCode": 2,
            "errors": errors,
            "message": "Validation failed for one or more columns.",
            "status": "Error",
        }
    if job.insert_only and exists:
        # §4 S9 older docs example (DOC): a string errorCode for a duplicate key on insert.
        key = ",".join(str(check.row.get(f.name)) for f in de.primary_keys)
        table = de.id.replace("-", "")[:8].upper()
        message = (
            f"Violation of PRIMARY KEY constraint 'PK_C{job.mid}_{table}'. Cannot insert duplicate key in "
            f"object 'C{job.mid}.MCDE_{job.mid}_{table}'. The duplicate key value is ({key}).\r\n"
            "The statement has been terminated."
        )
        return {"errorCode": "UnexpectedError", "message": message, "status": "Error"}
    state.put_row(de, check.row)
    return {
        "message": "Inserted DataExtensionObject" if job.insert_only else "Upserted DataExtensionObject",
        "status": "OK",
    }


def _visible_job(call: Call) -> AsyncJob | None:
    job = call.state.jobs.get(call.request.path_params["request_id"].lower())
    if job is None or job.subdomain != call.scoped_tenant.subdomain or call.state.clock.now() < job.visible_at:
        return None
    return job


async def status(call: Call) -> Response:
    job = _visible_job(call)
    if job is None:
        # §4 T7/T1 OBS: 200 without a status key, also for an unknown id. Clients keep polling.
        return json_response(_not_found_body(call.request.path_params["request_id"]))
    now = call.state.clock.now()
    has_errors = bool(job.results) and any(r["status"] != "OK" for r in job.results or [])
    body: dict[str, Any] = {"callDateTime": sfmc_time(job.submitted_at)}
    if now >= job.completed_at:
        body.update(
            completionDateTime=sfmc_time(job.completed_at),
            hasErrors=has_errors,
            pickupDateTime=sfmc_time(job.pickup_at),
            requestStatus="Complete",
            resultStatus="Has Errors" if has_errors else "OK",
        )
    elif now >= job.pickup_at:
        body.update(hasErrors=False, pickupDateTime=sfmc_time(job.pickup_at), requestStatus="Executing")
    else:
        body.update(hasErrors=False, requestStatus="Pending")
    body["requestId"] = job.id
    return json_response({"status": body, "requestId": new_guid()})  # §4: top-level id is this call's


def _int_param(call: Call, name: str, default: int) -> int:
    for key, value in call.request.query_params.items():
        if key.lower() == name.lower() and value.isdigit() and int(value) > 0:
            return int(value)
    return default


async def results(call: Call) -> Response:
    job = _visible_job(call)
    if job is None:
        return json_response(_not_found_body(call.request.path_params["request_id"]))
    page, size = _int_param(call, "$page", 1), _int_param(call, "$pageSize", 50)
    items = job.results or []
    return json_response(
        {
            "page": page,
            "pageSize": size,
            "count": len(items),
            "items": items[(page - 1) * size : page * size],
            "requestId": job.id,
            "resultMessages": [],
        }
    )
