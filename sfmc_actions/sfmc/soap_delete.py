"""SOAP `Delete` of DataExtensionObject rows by primary key: the envelope and the answer.

Request: `<DeleteRequest><Objects xsi:type="DataExtensionObject"><CustomerKey>` (the data extension's external
key) `<Keys><Key><Name/><Value/></Key>...</Keys></Objects>...</DeleteRequest>`, one Objects per row (the
DataExtensionObject and DeleteRequest SOAP objects, DOC; the same call FuelSDK makes for `delete` of a row).

Answer (DOC: DeleteResult "contains results of each object in a Delete request ... in the order acted upon",
one per input object; DataExtensionDeleteResult adds ErrorMessage and KeyErrors): per row StatusCode (OK or
Error), StatusMessage, OrdinalID, ErrorCode, ErrorMessage ("row errors ... where rows can't be found") and
KeyErrors/KeyError (Name, ErrorCode, ErrorMessage: "errors associated with primary keys"); then RequestID and
OverallStatus (OK, Has Errors, Error, or "Error: <why>" for the whole request). A deleted row reads
`OK` / "Deleted DataExtensionObject" (OBS: FuelSDK-Java's integration tests against SFMC). What SFMC answers
for a row that is not there is not in any source: `row_not_found` recognises an error whose text says the row
was not found (INF), and an OK answer is taken as it comes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from pydantic import SecretStr

from sfmc_actions.sfmc.soap import response_message

_ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <SOAP-ENV:Header><fueloauth xmlns="http://exacttarget.com">{token}</fueloauth></SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <DeleteRequest xmlns="http://exacttarget.com/wsdl/partnerAPI">
      <Options/>{objects}
    </DeleteRequest>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>
"""
_NOT_FOUND = re.compile(r"\brows?\b.*(not (be )?found|does not exist|doesn't exist)|\bno rows?\b", re.IGNORECASE)


@dataclass(frozen=True)
class DeleteResult:
    status_code: str
    status_message: str = ""
    ordinal: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    key_errors: list[tuple[str, str]] = field(default_factory=list)  # (Name, ErrorMessage)

    @property
    def ok(self) -> bool:
        return self.status_code == "OK"

    @property
    def row_not_found(self) -> bool:
        """An error saying no row matched the keys (the goal of a delete is reached). INF: see the module."""
        text = f"{self.error_message or ''} {self.status_message}"
        return not self.ok and not self.key_errors and bool(_NOT_FOUND.search(text))

    def describe(self) -> str:
        """SFMC's words for a failed row: StatusMessage, then ErrorMessage and each KeyError."""
        parts = [self.status_message or f"StatusCode {self.status_code}"]
        if self.error_message and self.error_message not in parts:
            parts.append(self.error_message)
        parts += [f"{name}: {message}" for name, message in self.key_errors]
        code = f" (ErrorCode {self.error_code})" if self.error_code else ""
        return "; ".join(parts) + code

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"StatusCode": self.status_code, "StatusMessage": self.status_message}
        if self.error_message:
            data["ErrorMessage"] = self.error_message
        return data


@dataclass(frozen=True)
class DeleteAnswer:
    overall_status: str
    request_id: str | None
    results: list[DeleteResult]


def key_text(value: Any) -> str:
    """A primary key value as SOAP text: booleans the .NET way, whole floats without `.0` (as JavaScript)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def delete_envelope(token: SecretStr, customer_key: str, rows: Sequence[Mapping[str, Any]]) -> str:
    objects = "".join(
        '\n      <Objects xsi:type="DataExtensionObject">'
        f"<CustomerKey>{escape(customer_key)}</CustomerKey><Keys>"
        + "".join(
            f"<Key><Name>{escape(str(name))}</Name><Value>{escape(key_text(value))}</Value></Key>"
            for name, value in keys.items()
        )
        + "</Keys></Objects>"
        for keys in rows
    )
    return _ENVELOPE.format(token=escape(token.get_secret_value()), objects=objects)


def parse_delete(xml_text: str) -> DeleteAnswer:
    """Parse a DeleteResponse; raises SoapFault for a fault, SoapAnswerError for anything unreadable."""
    message = response_message(xml_text, "DeleteResponse")
    results = []
    for node in message.findall("{*}Results"):
        ordinal = _text(node, "OrdinalID")
        key_errors = [
            (_text(k, "Name") or "", _text(k, "ErrorMessage") or _text(k, "ErrorCode") or "")
            for k in node.findall("{*}KeyErrors/{*}KeyError")
        ]
        results.append(
            DeleteResult(
                status_code=_text(node, "StatusCode") or "",
                status_message=_text(node, "StatusMessage") or "",
                ordinal=int(ordinal) if ordinal and ordinal.strip().isdigit() else None,
                error_code=_text(node, "ErrorCode"),
                error_message=_text(node, "ErrorMessage"),
                key_errors=key_errors,
            )
        )
    return DeleteAnswer(_text(message, "OverallStatus") or "", _text(message, "RequestID"), results)


def _text(node: ET.Element, path: str) -> str | None:
    child = node.find(f"{{*}}{path}")
    return child.text.strip() if child is not None and child.text is not None else None
