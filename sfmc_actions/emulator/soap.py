"""SOAP at `/Service.asmx` (any case, §7): `Retrieve DataFolder` with paging, `Delete DataExtensionObject`.

The token comes from `<fueloauth>` in the SOAP header; an expired or unknown one gets HTTP 500 with
the `q0:Security` / `Token Expired` fault (§7 T3 OBS). XML is parsed with the standard library
(expat 2.4.1+ refuses entity-expansion bombs; external entities are never fetched).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from starlette.responses import Response

from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.fieldtypes import check_value, value_message
from sfmc_actions.emulator.model import Folder
from sfmc_actions.emulator.state import new_guid

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER_NS = "http://exacttarget.com/wsdl/partnerAPI"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
MAX_BATCH = 2500  # §7 T6: Retrieve pages hold up to 2,500 rows
XML_TYPE = "text/xml; charset=utf-8"
_ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="' + SOAP_NS + '" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsse="' + WSSE_NS + '">'
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ET.Element | None, name: str) -> str | None:
    found = _child(element, name)
    return None if found is None or found.text is None else found.text.strip()


def envelope(action: str, body: str) -> str:
    header = (
        f"<soap:Header><wsa:Action>{action}</wsa:Action><wsa:MessageID>urn:uuid:{new_guid()}</wsa:MessageID>"
        f"<wsa:To>{ANONYMOUS}</wsa:To></soap:Header>"
    )
    return f"{_ENVELOPE}{header}<soap:Body>{body}</soap:Body></soap:Envelope>"


def soap_fault(code: str, message: str, actor: str = "", status: int = 500) -> Response:
    code_xml = (
        f'<faultcode xmlns:q0="{WSSE_NS}">q0:Security</faultcode>'
        if code == "Security"
        else f"<faultcode>soap:{code}</faultcode>"
    )
    actor_xml = f"<faultactor>{escape(actor)}</faultactor>" if actor else ""
    body = f"<soap:Fault>{code_xml}<faultstring>{escape(message)}</faultstring>{actor_xml}</soap:Fault>"
    return Response(f"{_ENVELOPE}<soap:Body>{body}</soap:Body></soap:Envelope>", status, media_type=XML_TYPE)


def token_expired(call: Call, subdomain: str) -> Response:
    return soap_fault("Security", "Token Expired", f"https://{subdomain}.soap.marketingcloudapis.com/Service.asmx")


async def service(call: Call) -> Response:
    try:
        root = ET.fromstring(call.body)
    except ET.ParseError as exc:
        return soap_fault("Client", f"The request is not valid XML: {exc}")
    header, body = _child(root, "Header"), _child(root, "Body")
    value = _text(header, "fueloauth") or ""
    token = call.state.token(value)
    first_tenant = next(iter(call.state.tenants))
    if token is None or token.expires_at <= call.state.clock.now():
        return token_expired(call, token.subdomain if token else first_tenant)
    call.token, call.tenant = token, call.state.tenants[token.subdomain]
    request = next(iter(body), None) if body is not None else None
    name = _local(request.tag) if request is not None else ""
    if name == "RetrieveRequestMsg":
        return _xml("RetrieveResponse", _retrieve(call, _child(request, "RetrieveRequest")))
    if name == "DeleteRequest" and request is not None:
        return _xml("DeleteResponse", _delete(call, request))
    return soap_fault("Client", f"The emulator does not support the SOAP operation {name or '(none)'}.")


def _xml(action: str, body: str) -> Response:
    return Response(envelope(action, body), 200, media_type=XML_TYPE)


def _folder_xml(folder: Folder) -> str:
    return (
        f'<Results xsi:type="DataFolder"><Client><ID>{folder.mid}</ID></Client><PartnerKey xsi:nil="true" />'
        f"<CreatedDate>2016-07-22T11:52:19.6</CreatedDate><ModifiedDate>2016-07-22T11:52:19.6</ModifiedDate>"
        f'<ID>{folder.id}</ID><ObjectID xsi:nil="true" /><CustomerKey>{escape(folder.customer_key)}</CustomerKey>'
        f'<ParentFolder><PartnerKey xsi:nil="true" /><ID>{folder.parent_id}</ID><ObjectID xsi:nil="true" />'
        f"</ParentFolder><Name>{escape(folder.name)}</Name><Description /><ContentType>"
        f"{escape(folder.content_type)}</ContentType><IsActive>true</IsActive><IsEditable>true</IsEditable>"
        "<AllowChildren>true</AllowChildren></Results>"
    )


def _folder_value(folder: Folder, prop: str) -> str | None:
    return {
        "ID": str(folder.id),
        "Name": folder.name,
        "ContentType": folder.content_type,
        "CustomerKey": folder.customer_key,
        "ParentFolder.ID": str(folder.parent_id),
    }.get(prop)


def _matches(folder: Folder, part: ET.Element | None) -> bool | str:
    """A SimpleFilterPart or ComplexFilterPart (AND / OR) against a folder; a str is an error."""
    if part is None:
        return True
    left, right = _child(part, "LeftOperand"), _child(part, "RightOperand")
    if left is not None and right is not None:
        a, b = _matches(folder, left), _matches(folder, right)
        if isinstance(a, str) or isinstance(b, str):
            return a if isinstance(a, str) else b
        return (a and b) if (_text(part, "LogicalOperator") or "AND").upper() == "AND" else (a or b)
    prop, operator = _text(part, "Property") or "", _text(part, "SimpleOperator") or ""
    wanted = [v.text or "" for v in part if _local(v.tag) == "Value"]
    actual = _folder_value(folder, prop)
    if actual is None:
        return f"Error: The filter property {prop} is not a retrievable property of DataFolder."
    if operator == "equals":
        return actual.lower() == (wanted[0] if wanted else "").lower()
    if operator == "notEquals":
        return actual.lower() != (wanted[0] if wanted else "").lower()
    if operator == "IN":
        return actual.lower() in {w.lower() for w in wanted}
    return f"Error: The filter operator {operator} is not supported by the emulator."


def _retrieve(call: Call, request: ET.Element | None) -> str:
    emulator = call.request.app.state.emulator
    request_id = new_guid()
    continue_id = _text(request, "ContinueRequest")
    if continue_id:
        pending = emulator.soap_pages.pop(continue_id, None)
        if pending is None:
            return _retrieve_body("Error: The continue request ID is unknown or has expired.", request_id, [])
        results, size = pending
    else:
        object_type = _text(request, "ObjectType") or ""
        if object_type != "DataFolder":
            status = (
                f"Error: Unable to find a handler for object type: {object_type}. Object types are "
                "case-sensitive, check spelling."
            )  # §7 T3 OBS
            return _retrieve_body(status, request_id, [])
        batch = _text(_child(request, "Options"), "BatchSize")
        size = min(int(batch), MAX_BATCH) if batch and batch.isdigit() and int(batch) > 0 else MAX_BATCH
        results = []
        for folder in call.scoped_tenant.folders:
            if folder.mid != call.mid:
                continue
            hit = _matches(folder, _child(request, "Filter"))
            if isinstance(hit, str):
                return _retrieve_body(hit, request_id, [])
            if hit:
                results.append(_folder_xml(folder))
    page, rest = results[:size], results[size:]
    if rest:
        emulator.soap_pages[request_id] = (rest, size)
    return _retrieve_body("MoreDataAvailable" if rest else "OK", request_id, page)


def _retrieve_body(status: str, request_id: str, results: list[str]) -> str:
    return (
        f'<RetrieveResponseMsg xmlns="{PARTNER_NS}"><OverallStatus>{escape(status)}</OverallStatus>'
        f"<RequestID>{request_id}</RequestID>{''.join(results)}</RetrieveResponseMsg>"
    )


@dataclass
class _DeleteResult:
    """One DataExtensionDeleteResult: Result's StatusCode, StatusMessage, OrdinalID, ErrorCode, then its own
    ErrorMessage ("row errors for a data extension where rows can't be found") and KeyErrors (DataExtensionError:
    Name, ErrorCode, ErrorMessage; "errors associated with primary keys", DOC). The OK text is OBS (FuelSDK-Java's
    integration tests); every error text and code here is INF: no source shows them."""

    status: str
    message: str
    error_message: str | None = None
    key_errors: list[tuple[str, str]] = field(default_factory=list)

    def xml(self, ordinal: int) -> str:
        parts = [
            f'<Results xsi:type="DataExtensionDeleteResult"><StatusCode>{self.status}</StatusCode>'
            f"<StatusMessage>{escape(self.message)}</StatusMessage><OrdinalID>{ordinal}</OrdinalID>"
        ]
        if self.status != "OK":
            parts.append(f"<ErrorCode>{ROW_ERROR_CODE}</ErrorCode>")
        if self.error_message:
            parts.append(f"<ErrorMessage>{escape(self.error_message)}</ErrorMessage>")
        if self.key_errors:
            parts.append("<KeyErrors>")
            parts += [
                f"<KeyError><Name>{escape(name)}</Name><ErrorCode>{ROW_ERROR_CODE}</ErrorCode>"
                f"<ErrorMessage>{escape(text)}</ErrorMessage></KeyError>"
                for name, text in self.key_errors
            ]
            parts.append("</KeyErrors>")
        return "".join(parts) + "</Results>"


ROW_ERROR_CODE = 2  # INF: the async rows API reports row errors with errorCode 2 (§4); SOAP's is not known
DELETED = "Deleted DataExtensionObject"  # OBS
ROW_NOT_FOUND = "The row was not found: no row of the data extension matches the given keys."
REJECTED = "Error: the row could not be deleted (the emulator's reject_row fault)."


def _delete(call: Call, request: ET.Element) -> str:
    """Each Objects element gets a Results element in order; OverallStatus is OK when all succeeded, Error when
    all failed and Has Errors otherwise (the SOAP API's words for a partly failed call; INF for Delete)."""
    objects = [o for o in request if _local(o.tag) == "Objects"]
    rejected: dict[int, str] = {}
    for rule in call.row_faults:
        if rule.fault == "reject_row":
            rejected.update(dict.fromkeys(rule.row_hits(len(objects)), rule.message or REJECTED))
    results = [
        _DeleteResult("Error", rejected[i]) if i in rejected else _delete_one(call, obj)
        for i, obj in enumerate(objects)
    ]
    failed = sum(r.status != "OK" for r in results)
    overall = "OK" if not failed else "Error" if failed == len(results) else "Has Errors"
    return (
        f'<DeleteResponse xmlns="{PARTNER_NS}">{"".join(r.xml(i) for i, r in enumerate(results))}'
        f"<RequestID>{new_guid()}</RequestID><OverallStatus>{overall}</OverallStatus></DeleteResponse>"
    )


def _delete_one(call: Call, obj: ET.Element) -> _DeleteResult:
    xsi_type = next((v for k, v in obj.attrib.items() if _local(k) == "type"), "")
    if xsi_type.split(":")[-1] != "DataExtensionObject":
        what = xsi_type or "an untyped object"
        return _DeleteResult("Error", f"Error: The emulator deletes DataExtensionObject only, not {what}.")
    key, name = _text(obj, "CustomerKey"), _text(obj, "Name")
    tenant, state = call.scoped_tenant, call.state
    de = (
        state.de_by_key(tenant, call.mid, key)
        if key
        else next(
            (
                d
                for d in tenant.data_extensions.values()
                if d.mid == call.mid and name and d.name.lower() == name.lower()
            ),
            None,
        )
    )
    if de is None:
        return _DeleteResult("Error", f"Error: Unable to find the data extension {key or name or '(no CustomerKey)'}.")
    keys: dict[str, Any] = {}
    key_errors: list[tuple[str, str]] = []
    for key_el in _child(obj, "Keys") or []:
        given = _text(key_el, "Name") or ""
        column = de.column(given)
        if column is None or not column.is_primary_key:
            key_errors.append((given, f"{given} is not a primary key column of the data extension."))
            continue
        keys[column.name] = _text(key_el, "Value") or ""
        problem = check_value(column, keys[column.name], call.state.options.strict_nulls)
        if problem is not None:
            key_errors.append((column.name, value_message(column.name, problem)))
    key_errors += [
        (f.name, f"The primary key column {f.name} has no value.") for f in de.primary_keys if f.name not in keys
    ]
    if key_errors or not de.primary_keys:
        return _DeleteResult("Error", "Error: The keys do not identify a row of the data extension.", None, key_errors)
    if not state.delete_row(de, state.pk_of(de, keys)) and state.options.delete_missing_row != "ok":
        return _DeleteResult("Error", "Error: No row was deleted.", ROW_NOT_FOUND)
    return _DeleteResult("OK", DELETED)
