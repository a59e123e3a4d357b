"""Data extension metadata `/data/v1/customobjects` (§7) and row read-back `/data/v1/customobjectdata`."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.fieldtypes import apply_defaults, check_definitions, parse_bool, parse_date
from sfmc_actions.emulator.model import DataExtension, Field
from sfmc_actions.emulator.responses import JsonBodyError, error, iso_utc, json_response, read_json, validation
from sfmc_actions.emulator.state import new_guid

# §7 T6 OBS: every field needs these, and the endpoint rejects incomplete objects one property at a time.
REQUIRED_FIELD_PROPS = (
    "name",
    "type",
    "ordinal",
    "isNullable",
    "isTemplateField",
    "isHidden",
    "isOverridable",
    "isInheritable",
    "isReadOnly",
    "mustOverride",
)
OWNER_ID = 700000001


def de_body(de: DataExtension, search_hit: bool = False) -> dict[str, Any]:
    """The full DE object (§7 T12 OBS shape)."""
    created = iso_utc(de.created_at)
    return {
        "id": de.id,
        "name": de.name,
        "key": de.key,
        "description": de.description,
        "isActive": True,
        "isSendable": de.is_sendable,
        "sendableCustomObjectField": None,
        "sendableSubscriberField": None,
        "isTestable": False,
        "categoryId": de.category_id,
        "ownerId": OWNER_ID,
        "isObjectDeletable": True,
        "isFieldAdditionAllowed": True,
        "isFieldModificationAllowed": True,
        "createdDate": created,
        "createdById": OWNER_ID,
        "createdByName": "SFMC Emulator",
        "modifiedDate": created,
        "modifiedById": OWNER_ID,
        "modifiedByName": "SFMC Emulator",
        "ownerName": "SFMC Emulator",
        "partnerApiObjectTypeId": 310,
        "partnerApiObjectTypeName": "DataExtension",
        "rowCount": len(de.rows),
        "dataRetentionProperties": {
            "isDeleteAtEndOfRetentionPeriod": False,
            "isRowBasedRetention": False,
            "isResetRetentionPeriodOnImport": False,
        },
        "fieldCount": len(de.fields),
    }


def _parse_fields(raw: Any) -> list[Field] | str:
    if not isinstance(raw, list) or not raw:
        return "fields is required: a list of complete field objects."
    fields: list[Field] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            return f"fields[{i}] must be a field object."
        for prop in REQUIRED_FIELD_PROPS:
            if prop not in item:
                return f"fields[{i}].{prop} is required."
        length, scale = item.get("length"), item.get("scale")
        if (length is not None and not isinstance(length, int)) or (scale is not None and not isinstance(scale, int)):
            return f"fields[{i}]: length and scale must be whole numbers."
        fields.append(
            Field(
                name=str(item["name"]),
                type=str(item["type"]),
                length=length,
                scale=scale,
                is_primary_key=bool(item.get("isPrimaryKey", False)),
                is_nullable=bool(item["isNullable"]),
                default_value=item.get("defaultValue"),
                ordinal=int(item["ordinal"]),
            )
        )
    return fields


async def create(call: Call) -> Response:
    try:
        body = await read_json(call.request)
    except JsonBodyError as exc:
        return exc.response
    if not isinstance(body, dict):
        return validation("The body must be a data extension object.", 10003)
    tenant, mid = call.scoped_tenant, call.mid
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        return validation("name is required.")
    category = body.get("categoryId")
    if category in (None, "") or not str(category).isdigit():
        return validation("categoryId is required: the id of a data extension folder.")  # §7 T6/T10
    if not any(f.id == int(str(category)) and f.mid == mid for f in tenant.folders):
        return validation(f"categoryId {category} is not a data extension folder in this business unit.")
    if isinstance(body.get("sendableSubscriberField"), (dict, list)):
        return validation("Unable to deserialize sendableSubscriberField: expected text.", 10001)  # §7 T10
    fields = _parse_fields(body.get("fields"))
    if isinstance(fields, str):
        return validation(fields)
    problems = check_definitions(fields, rest_create=True)
    if problems:
        return validation(problems[0])
    key = body.get("key") or new_guid().upper()  # §7 T11: a blank key gets a generated one
    for other in tenant.data_extensions.values():
        if other.mid == mid and other.name.lower() == name.lower():
            return error(409, 30004, "A Data Extension with this name already exists")  # §7: S2 30004 → 409
        if other.mid == mid and other.key.lower() == str(key).lower():
            return error(409, 30004, "A Data Extension with this key already exists")
    de = DataExtension(
        id=new_guid(),
        key=str(key),
        name=name,
        mid=mid,
        category_id=int(str(category)),
        fields=[apply_defaults(f) for f in sorted(fields, key=lambda f: f.ordinal)],
        description=str(body.get("description") or ""),
        is_sendable=bool(body.get("isSendable")),
        created_at=call.state.clock.now(),
    )
    call.state.add_de(tenant, de)
    return json_response(de_body(de), 201)  # §7: Segment treats only 201 as success


def _find(call: Call) -> DataExtension | Response:
    ident = call.request.path_params["id"].lower()
    de = call.scoped_tenant.data_extensions.get(ident)
    if de is None or de.mid != call.mid:
        # §7: GET takes the GUID id, not the key (T6); S2 lists 30003 Object Not Found under 404.
        return error(404, 30003, f"Data extension with id '{ident}' was not found.")
    return de


async def get_one(call: Call) -> Response:
    de = _find(call)
    return de if isinstance(de, Response) else json_response(de_body(de))


async def get_fields(call: Call) -> Response:
    de = _find(call)
    if isinstance(de, Response):
        return de
    return json_response({"id": de.id, "fields": [f.to_api() for f in de.fields]})


def _query(call: Call, name: str) -> str | None:
    for key, value in call.request.query_params.items():
        if key.lower() == name.lower():
            return value
    return None


def _paged(call: Call, items: list[dict[str, Any]], default_size: int = 50) -> dict[str, Any]:
    page_text, size_text = _query(call, "$page") or "1", _query(call, "$pageSize") or str(default_size)
    page = int(page_text) if page_text.isdigit() and int(page_text) > 0 else 1
    size = int(size_text) if size_text.isdigit() and int(size_text) > 0 else default_size
    return {
        "count": len(items),
        "page": page,
        "pageSize": size,
        "links": {"self": {"href": str(call.request.url.path)}},
        "items": items[(page - 1) * size : page * size],
    }


async def search(call: Call) -> Response:
    term = _query(call, "$search")
    if term is None:
        return validation("The $search query parameter is required.")  # §7 T6 OBS: 400 without it
    # SFMC searches with SQL LIKE, so Segment's "_" (nothing typed) matches any one character (INF).
    pattern = re.compile(".*".join(re.escape(part).replace("_", ".") for part in term.split("%")), re.IGNORECASE)
    lag = call.state.options.customobject_search_lag_seconds
    now = call.state.clock.now()
    hits = [
        de_body(de)
        for de in call.scoped_tenant.data_extensions.values()
        if de.mid == call.mid
        and de.created_at <= now - lag
        and any(pattern.search(text) for text in (de.name, de.key, de.description))
    ]
    return json_response(_paged(call, hits))


async def by_category(call: Call) -> Response:
    category = call.request.path_params["category"]
    hits = [
        de_body(de)
        for de in call.scoped_tenant.data_extensions.values()
        if de.mid == call.mid and str(de.category_id) == category
    ]
    return json_response(_paged(call, hits))


def render(column: Field | None, value: Any) -> str:
    """A stored value as the read-back API shows it: text (§7 T4), dates and booleans the .NET way."""
    if value is None:
        return ""
    if column is not None and column.type == "Boolean":
        flag = parse_bool(value)
        return "True" if flag else "False"
    if column is not None and column.type == "Date" and isinstance(value, str):
        moment = parse_date(value)
        if moment is not None:
            hour = moment.hour % 12 or 12
            half = "PM" if moment.hour >= 12 else "AM"
            return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {half}"
    return "True" if value is True else "False" if value is False else str(value)


async def rowset(call: Call) -> Response:
    """`GET /data/v1/customobjectdata/key/{key}/rowset` (§7 T4 OBS shape), up to 2,500 rows a page."""
    key = call.request.path_params["key"]
    de = call.state.de_by_key(call.scoped_tenant, call.mid, key)
    if de is None:
        return error(404, 30003, f"Data extension with key '{key}' was not found.")
    page_text, size_text = _query(call, "$page") or "1", _query(call, "$pageSize") or "2500"
    page = int(page_text) if page_text.isdigit() and int(page_text) > 0 else 1
    size = min(int(size_text), 2500) if size_text.isdigit() and int(size_text) > 0 else 2500
    rows = list(de.rows.values())
    chunk = rows[(page - 1) * size : page * size]
    token = new_guid()
    body: dict[str, Any] = {
        "links": {"self": f"/v1/customobjectdata/token/{token}/rowset?$page={page}"},
        "requestToken": token,
        "tokenExpireDateUtc": iso_utc(call.state.clock.now() + 1200)[:-1],
        "customObjectId": de.id,
        "customObjectKey": de.key,
        "pageSize": size,
        "page": page,
        "count": len(rows),
        "top": 0,
    }
    if chunk:
        pk_names = {f.name for f in de.primary_keys}
        body["items"] = [
            {
                "keys": {name.lower(): render(de.column(name), v) for name, v in row.items() if name in pk_names},
                "values": {name.lower(): render(de.column(name), v) for name, v in row.items() if name not in pk_names},
            }
            for row in chunk
        ]
    return json_response(body)
