"""Synchronous rows: `POST /hub/v1/dataevents/{key:K|id}/rowset` and `PUT …/rows/{k:v[,k2:v2]}` (§3).

Rows are committed in order up to the first bad row; that row and all later ones are not saved,
and the answer is one 400 10006 aggregate with de-duplicated additionalErrors (§3 T1 OBS comment).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.faults import FaultRule
from sfmc_actions.emulator.model import DataExtension
from sfmc_actions.emulator.responses import JsonBodyError, json_response, read_json, validation
from sfmc_actions.emulator.row_checks import RowCheck, aggregate, check_keyed_row, check_required
from sfmc_actions.emulator.state import is_guid
from sfmc_actions.emulator.transport import Hang

REJECTED = "Row rejected by the emulator's reject_row fault."


def resolve_de(call: Call, ref: str) -> DataExtension | Response:
    """The DE named in a /hub path, or SFMC's answer for a malformed or unknown reference."""
    if ref[:4].lower() != "key:" and not is_guid(ref[3:] if ref[:3].lower() == "id:" else ref):
        return validation("Parameter {guid} is invalid.", 10001)  # §3 T9 OBS, verbatim
    de = call.state.find_de(call.scoped_tenant, call.mid, ref)
    if de is None:
        # §3: not in the sources; the docs say an invalid request is a 400 (S6), so 400 (INF).
        what = f"key '{ref[4:]}'" if ref[:4].lower() == "key:" else f"ID '{ref.split(':')[-1]}'"
        return validation(f"Unable to find a data extension with {what} in this business unit.")
    return de


def unable_to_save(de: DataExtension, messages: list[str] | None) -> Response:
    body: dict[str, Any] = {
        "message": f"Unable to save rows for data extension ID {de.id}",
        "errorcode": 10006,
        "documentation": "",
    }
    if messages is not None:
        body["additionalErrors"] = [{"message": m, "errorcode": 10000, "documentation": ""} for m in messages]
    return json_response(body, 400)


def _fault_rejects(faults: list[FaultRule], count: int) -> dict[int, str]:
    rejected: dict[int, str] = {}
    for rule in faults:
        if rule.fault == "reject_row":
            for index in rule.row_hits(count):
                rejected[index] = rule.message or REJECTED
    return rejected


def _transient(faults: list[FaultRule]) -> bool:
    return any(rule.fault == "transient_10006" for rule in faults)


def _save(call: Call, de: DataExtension, items: list[Any]) -> Response:
    state, options = call.state, call.state.options
    checks: list[RowCheck] = []
    pks: list[tuple[str, ...] | None] = []
    for item in items:
        if not isinstance(item, dict):
            checks.append(RowCheck(errors=["Each row must be an object with keys and values."]))
            pks.append(None)
            continue
        check = check_keyed_row(de, item.get("keys"), item.get("values"), options)
        if not check.errors:
            pks.append(state.pk_of(de, check.row))
            check_required(de, check, options, exists=pks[-1] in de.rows)
        else:
            pks.append(None)
        checks.append(check)
    for index, message in _fault_rejects(call.row_faults, len(items)).items():
        checks[index].errors.append(message)
    if _transient(call.row_faults):
        return unable_to_save(de, None)  # §3 T9: 10006 with no additionalErrors, nothing saved
    bad = [i for i, check in enumerate(checks) if check.errors]
    for check, pk in zip(checks[: bad[0] if bad else len(checks)], pks, strict=False):
        state.put_row(de, check.row, pk=pk)
    if bad:
        return unable_to_save(de, aggregate([m for i in bad for m in checks[i].errors]))
    return json_response([{"keys": item.get("keys"), "values": item.get("values") or {}} for item in items])


async def rowset(call: Call) -> Response:
    de = resolve_de(call, call.request.path_params["ref"])
    if isinstance(de, Response):
        return de
    options = call.state.options
    try:
        items = await read_json(call.request, options.body_limit_bytes, options.body_limit_status)
    except JsonBodyError as exc:
        return exc.response
    if not isinstance(items, list):
        return validation("The request body must be a JSON array of {keys, values} objects.", 10003)
    if options.rowset_timeout_rows is not None and len(items) > options.rowset_timeout_rows:
        # Segment cut its batch to 10 because large synchronous rowsets time out (§3 T1).
        return Hang(3600.0, call.request.app.state.emulator.closing)
    return _save(call, de, items)


def parse_keys(text: str) -> dict[str, str] | None:
    """`Key1:v1,Key2:v2` (§3 T2): split on the first ':' of each pair; names may contain spaces."""
    keys: dict[str, str] = {}
    for pair in text.split(","):
        name, sep, value = pair.partition(":")
        if not sep or not name:
            return None
        keys[name] = value
    return keys


async def row(call: Call) -> Response:
    de = resolve_de(call, call.request.path_params["ref"])
    if isinstance(de, Response):
        return de
    keys = parse_keys(call.request.path_params["keys"])
    if keys is None:
        return validation("Primary keys in the URL must be written name:value, comma-separated.", 10003)
    try:
        body = await read_json(call.request, call.state.options.body_limit_bytes, call.state.options.body_limit_status)
    except JsonBodyError as exc:
        return exc.response
    if not isinstance(body, dict):
        return validation("The request body must be an object with a values property.", 10003)
    response = _save(call, de, [{"keys": keys, "values": body.get("values")}])
    if response.status_code != 200:
        return response
    return json_response({"keys": keys, "values": body.get("values") or {}})  # S7: a single object
