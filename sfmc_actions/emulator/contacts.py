"""`POST /contacts/v1/contacts` (§5): upsert by contactKey, with the response fields of a real response.

Segment and RudderStack send `attributeSets: []`; whether SFMC accepts that is unverified, so it is
accepted by default and rejected in strict mode (option `strict_contacts`).
"""

from __future__ import annotations

from starlette.responses import Response

from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.model import Contact
from sfmc_actions.emulator.responses import JsonBodyError, json_response, read_json, result_message, sfmc_offset_time
from sfmc_actions.emulator.state import new_guid


def _failure(code: str, message: str) -> Response:
    # §5: no source shows the error shape; the family uses hasErrors + resultMessages (INF).
    body = {
        "operationStatus": "Fail",
        "rowsAffected": 0,
        "requestServiceMessageID": new_guid(),
        "hasErrors": True,
        "resultMessages": [result_message(code, message)],
        "serviceMessageID": new_guid(),
    }
    return json_response(body, 400)


async def create_contact(call: Call) -> Response:
    try:
        body = await read_json(call.request)
    except JsonBodyError as exc:
        return exc.response
    if not isinstance(body, dict):
        return _failure("InvalidRequest", "The body must be an object with contactKey and attributeSets.")
    key = body.get("contactKey")
    if not isinstance(key, str) or not key.strip():
        return _failure("ContactKeyRequired", "contactKey is required to create or update a contact.")
    sets = body.get("attributeSets", [])
    if not isinstance(sets, list):
        return _failure("InvalidAttributeSets", "attributeSets must be an array of attribute sets.")
    if call.state.options.strict_contacts and not sets:
        return _failure("AttributeSetRequired", "At least one attribute set is required to create a new contact.")
    tenant, state = call.scoped_tenant, call.state
    existing = tenant.contacts.get(key)
    if existing is None:
        existing = Contact(key, state.allocate_contact_id(), sets, call.mid)
        tenant.contacts[key] = existing
        is_new = True
    else:
        existing.attribute_sets = sets or existing.attribute_sets
        is_new = False
    state.changed("contact", f"{tenant.subdomain}/{key}", existing)
    # §5: the field names of a real response (T13 OBS), not the docs' typos.
    return json_response(
        {
            "operationStatus": "OK",
            "rowsAffected": 1,
            "contactKey": key,
            "contactID": existing.contact_id,
            "contactTypeID": 0,
            "isNewContactKey": is_new,
            "requestServiceMessageID": new_guid(),
            "responseDateTime": sfmc_offset_time(state.clock.now()),
            "hasErrors": False,
            "resultMessages": [],
            "serviceMessageID": new_guid(),
        }
    )
