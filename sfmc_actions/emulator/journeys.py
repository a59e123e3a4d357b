"""Journey Builder (§6): entry events, batched entry, and API event definitions.

An event definition points at a data extension: the event's Data fields are that DE's columns (a
field outside the schema is a validation error, S11 "Fire an Entry Event"), and each fired event
adds a row to it. Property names are bound case-insensitively (§6: the service is .NET; Segment
sends camelCase, the docs PascalCase).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.model import EventDefinition, FiredEvent
from sfmc_actions.emulator.responses import DOC_URL, JsonBodyError, error, json_response, read_json
from sfmc_actions.emulator.row_checks import check_flat_item, check_required
from sfmc_actions.emulator.state import new_guid

MAX_MEMBERS = 100  # §6 batched entry: up to 100 contacts per request (DOC)


def _ci(body: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in body.items()}


class EventError(Exception):
    def __init__(self, errorcode: int, message: str) -> None:
        self.errorcode, self.message = errorcode, message
        super().__init__(message)


def _definition(call: Call, key: Any) -> EventDefinition:
    if not isinstance(key, str) or not key:
        raise EventError(10002, "Missing required parameter: EventDefinitionKey.")
    found = call.scoped_tenant.event_definitions.get(key.lower())
    if found is None or found.mid != call.mid:
        raise EventError(
            30000,
            f"Event definition with key '{key}' was not found. Check the EventDefinitionKey "
            "in Journey Builder Event Administration.",
        )
    return found


def _fire(
    call: Call,
    definition: EventDefinition,
    contact_key: Any,
    data: Any,
    request_id: str | None,
    errored: str | None = None,
) -> FiredEvent:
    """Check and record one entry. A batched one (`request_id`) is queued and processed later: `errored` makes it
    end errored with that message (accepted, but the contact never enters: no row is written)."""
    if not isinstance(contact_key, str) or not contact_key:
        raise EventError(10002, "Missing required parameter: ContactKey.")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise EventError(10001, "Data must be an object of field names and values.")
    data = {k: v for k, v in data.items() if k.lower() != "eventinstanceid"}  # §6: reserved, ignored
    state = call.state
    de = call.scoped_tenant.data_extensions.get(definition.data_extension_id)
    if de is None:
        raise EventError(30000, f"The data extension of event definition '{definition.key}' no longer exists.")
    unknown = [name for name in data if de.column(name) is None]
    if unknown:
        raise EventError(
            10000,
            f"Data Validation Error: field '{unknown[0]}' is not in the schema of the event "
            f"definition's data extension {de.name}.",
        )
    row = dict(data)
    contact_column = de.column("ContactKey")
    if contact_column is not None and not any(k.lower() == contact_column.name.lower() for k in row):
        row[contact_column.name] = contact_key
    check = check_flat_item(de, row, state.options)
    check_required(de, check, state.options, exists=bool(de.primary_keys) and state.pk_of(de, check.row) in de.rows)
    if check.missing_keys:
        raise EventError(
            10000,
            f"Data Validation Error: primary key field '{check.missing_keys[0]}' of data "
            f"extension {de.name} has no value in Data.",
        )
    if check.errors:
        raise EventError(10000, f"Data Conversion Error: {check.errors[0]}")
    now = state.clock.now()
    if errored is None:
        state.put_row(de, check.row)
    event = FiredEvent(new_guid(), contact_key, definition.key, data, call.mid, now, request_id)
    if request_id is not None:
        event.processed_at = now + state.options.journey_processing_seconds
        event.status, event.error = ("errored", errored) if errored is not None else ("processed", None)
    call.scoped_tenant.fired_events.append(event)
    state.changed("fired", f"{call.scoped_tenant.subdomain}/{event.event_instance_id}", event)
    return event


async def fire_event(call: Call) -> Response:
    try:
        body = await read_json(call.request)
    except JsonBodyError as exc:
        return exc.response
    if not isinstance(body, dict):
        return error(
            400,
            10004,
            "Incorrect JSON format: the body must be an object with ContactKey, EventDefinitionKey and Data.",
        )
    fields = _ci(body)
    try:
        definition = _definition(call, fields.get("eventdefinitionkey"))
        event = _fire(call, definition, fields.get("contactkey"), fields.get("data"), None)
    except EventError as exc:
        return error(400, exc.errorcode, exc.message, DOC_URL)  # §6: 400 with the envelope (INF shape)
    return json_response({"eventInstanceId": event.event_instance_id}, 201)  # §6 S11: 201


async def fire_batch(call: Call) -> Response:
    """`POST /interaction/v1/async/events`: up to 100 members, answered per member in request order (DOC).

    The documented answer: `requestId` (to ask the status endpoint about the batch), `count` (members in the
    request), `notQueuedCount` (members that could not be queued) and `members`, each with `contactKey` and either
    `eventInstanceId` or `errorcode` (a string) and `message`. Queued members are processed asynchronously and
    may still end `errored` (the `errored_member` fault); the status endpoint (journey_status.py) reports them.
    Each member also gets its own journal entry (route `async_events_member`).
    """
    try:
        body = await read_json(call.request)
    except JsonBodyError as exc:
        return exc.response
    fields = _ci(body) if isinstance(body, dict) else {}
    members = fields.get("members")
    if not isinstance(members, list) or not members:
        return error(400, 10002, "Missing required parameter: members (an array of {contactKey, data}).")
    if len(members) > MAX_MEMBERS:
        return error(
            400,
            10000,
            f"Interaction Count Limit Exceeded: we could not queue your request because it "
            f"has {len(members)} members; the maximum is {MAX_MEMBERS}.",
        )
    try:
        definition = _definition(call, fields.get("eventdefinitionkey"))
    except EventError as exc:
        return error(400, exc.errorcode, exc.message)
    request_id = new_guid()
    errored = _errored_members(call, len(members))
    results: list[dict[str, Any]] = []
    for index, member in enumerate(members):
        m = _ci(member) if isinstance(member, dict) else {}
        try:
            event = _fire(call, definition, m.get("contactkey"), m.get("data"), request_id, errored.get(index))
            results.append({"contactKey": event.contact_key, "eventInstanceId": event.event_instance_id})
        except EventError as exc:
            results.append({"contactKey": m.get("contactkey"), "errorcode": str(exc.errorcode), "message": exc.message})
    if call.journal_entry is not None:
        journal = call.request.app.state.emulator.journal
        for index, result in enumerate(results):
            journal.record_member(call.journal_entry, index, result)
    not_queued = sum("errorcode" in r for r in results)
    return json_response(
        {"requestId": request_id, "count": len(members), "notQueuedCount": not_queued, "members": results}, 202
    )


ERRORED = "The contact could not be processed into the journey (the emulator's errored_member fault)."


def _errored_members(call: Call, count: int) -> dict[int, str]:
    errored: dict[int, str] = {}
    for rule in call.row_faults:
        if rule.fault == "errored_member":
            for index in rule.row_hits(count):
                errored[index] = rule.message or ERRORED
    return errored


def _definition_body(call: Call, definition: EventDefinition) -> dict[str, Any]:
    de = call.scoped_tenant.data_extensions.get(definition.data_extension_id)
    return {
        "id": definition.id,
        "type": definition.type,
        "name": definition.name,
        "eventDefinitionKey": definition.key,
        "dataExtensionId": definition.data_extension_id,
        "dataExtensionName": de.name if de else None,
        "mode": "Production",
        "isVisibleInPicker": False,
        "category": "Event",
    }


async def create_definition(call: Call) -> Response:
    try:
        body = await read_json(call.request)
    except JsonBodyError as exc:
        return exc.response
    if not isinstance(body, dict):
        return error(400, 10004, "Incorrect JSON format: the body must be an event definition object.")
    fields = _ci(body)
    kind = fields.get("type") or "APIEvent"
    if str(kind).lower() != "apievent":
        return error(400, 10005, f"The emulator supports event definitions of type APIEvent only, not '{kind}'.")
    key = fields.get("eventdefinitionkey") or f"APIEvent-{new_guid()}"
    if not isinstance(key, str) or "." in key:
        return error(400, 10005, "eventDefinitionKey must be text without a period.")
    de = call.scoped_tenant.data_extensions.get(str(fields.get("dataextensionid") or "").lower())
    if de is None or de.mid != call.mid:
        return error(400, 10005, "dataExtensionId must be the id of an existing data extension in this business unit.")
    if key.lower() in call.scoped_tenant.event_definitions:
        return error(409, 30004, f"An event definition with key '{key}' already exists.")  # S2: 30004 → 409
    definition = EventDefinition(new_guid(), key, str(fields.get("name") or key), call.mid, de.id)
    call.scoped_tenant.event_definitions[key.lower()] = definition
    call.state.changed("event_definition", f"{call.scoped_tenant.subdomain}/{definition.id}", definition)
    return json_response(_definition_body(call, definition), 201)


async def list_definitions(call: Call) -> Response:
    items = [_definition_body(call, d) for d in call.scoped_tenant.event_definitions.values() if d.mid == call.mid]
    return json_response({"count": len(items), "page": 1, "pageSize": max(len(items), 50), "items": items})


async def get_definition(call: Call) -> Response:
    ref: str = call.request.path_params["ref"]
    key = ref[4:] if ref[:4].lower() == "key:" else None
    for definition in call.scoped_tenant.event_definitions.values():
        if definition.mid == call.mid and (definition.key.lower() == key.lower() if key else definition.id == ref):
            return json_response(_definition_body(call, definition))
    return error(404, 30003, f"Event definition '{ref}' was not found.")
