"""SOAP Retrieve of DataFolder objects: the folders data extensions live in (sfmc-rest-api.md §7, SOAP).

Only the envelope and the parsing live here; `SfmcClient.retrieve_data_folders` sends them. The envelope is
Segment's (`getCategoriesRequest`) plus `ParentFolder.ID`, so folders can be shown as a tree, and paging with
`ContinueRequest` while SFMC answers `MoreDataAvailable` (Segment reads only the first page).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from pydantic import SecretStr

from sfmc_actions.errors import SfmcActionsError

_ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <SOAP-ENV:Header><fueloauth xmlns="http://exacttarget.com">{token}</fueloauth></SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <RetrieveRequestMsg xmlns="http://exacttarget.com/wsdl/partnerAPI">
      <RetrieveRequest>{request}</RetrieveRequest>
    </RetrieveRequestMsg>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>
"""
_FIRST_PAGE = """
        <ObjectType>DataFolder</ObjectType>
        <Properties>ID</Properties><Properties>Name</Properties><Properties>ContentType</Properties>
        <Properties>ParentFolder.ID</Properties>
        <Filter xsi:type="SimpleFilterPart">
          <Property>ContentType</Property><SimpleOperator>equals</SimpleOperator><Value>{content_type}</Value>
        </Filter>"""
_NEXT_PAGE = "<ContinueRequest>{request_id}</ContinueRequest>"


@dataclass(frozen=True)
class DataFolder:
    id: int
    name: str
    content_type: str
    parent_id: int | None


@dataclass(frozen=True)
class RetrievePage:
    overall_status: str
    request_id: str | None
    folders: list[DataFolder]

    @property
    def more(self) -> bool:
        return self.overall_status == "MoreDataAvailable"


class SoapAnswerError(SfmcActionsError):
    """SFMC's SOAP answer cannot be read (not XML, or no RetrieveResponseMsg, DeleteResponse, ...)."""


class SoapFault(SfmcActionsError):
    """A SOAP fault: `security` when SFMC refused the token (expired: HTTP 500 `q0:Security`)."""

    def __init__(self, code: str, text: str) -> None:
        self.code = code
        self.text = text
        self.security = code.endswith("Security") or "token" in text.lower() or "login failed" in text.lower()
        super().__init__(f"{code}: {text}")


def retrieve_envelope(token: SecretStr, *, content_type: str = "dataextension", continue_id: str | None = None) -> str:
    request = (
        _NEXT_PAGE.format(request_id=escape(continue_id))
        if continue_id
        else _FIRST_PAGE.format(content_type=escape(content_type))
    )
    return _ENVELOPE.format(token=escape(token.get_secret_value()), request=request)


def response_message(xml_text: str, name: str) -> ET.Element:
    """The `name` element of a SOAP answer (RetrieveResponseMsg, DeleteResponse, ...); raises SoapFault for a
    fault, SoapAnswerError for anything unreadable."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise SoapAnswerError(f"SFMC's SOAP answer is not XML: {exc}") from None
    fault = root.find(".//{*}Fault")
    if fault is not None:
        raise SoapFault(_text(fault, "faultcode") or "Fault", _text(fault, "faultstring") or "")
    message = root.find(f".//{{*}}{name}")
    if message is None:
        raise SoapAnswerError(f"SFMC's SOAP answer has no {name}")
    return message


def parse_retrieve(xml_text: str) -> RetrievePage:
    """Parse a RetrieveResponseMsg; raises SoapFault for a fault, SoapAnswerError for anything unreadable."""
    message = response_message(xml_text, "RetrieveResponseMsg")
    folders = []
    for result in message.findall("{*}Results"):
        folder_id = _text(result, "ID")
        if folder_id is None or not folder_id.strip().lstrip("-").isdigit():
            continue
        parent = result.find("{*}ParentFolder")
        parent_id = _text(parent, "ID") if parent is not None else None
        folders.append(
            DataFolder(
                id=int(folder_id),
                name=_text(result, "Name") or "",
                content_type=_text(result, "ContentType") or "",
                parent_id=int(parent_id) if parent_id and parent_id.lstrip("-").isdigit() else None,
            )
        )
    return RetrievePage(_text(message, "OverallStatus") or "", _text(message, "RequestID"), folders)


def _text(node: ET.Element, name: str) -> str | None:
    child = node.find(f"{{*}}{name}")
    if child is None:
        child = node.find(name)
    return child.text if child is not None and child.text is not None else None
