"""soap_delete.py: the Delete envelope and the reading of SFMC's per-row results."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from sfmc_actions.sfmc.soap import SoapAnswerError, SoapFault
from sfmc_actions.sfmc.soap_delete import DeleteResult, delete_envelope, parse_delete

ANSWER = """<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>
<DeleteResponse xmlns="http://exacttarget.com/wsdl/partnerAPI">
<Results xsi:type="DataExtensionDeleteResult"><StatusCode>OK</StatusCode>
<StatusMessage>Deleted DataExtensionObject</StatusMessage><OrdinalID>0</OrdinalID></Results>
<Results xsi:type="DataExtensionDeleteResult"><StatusCode>Error</StatusCode>
<StatusMessage>Error: Keys are invalid</StatusMessage>
<OrdinalID>1</OrdinalID><ErrorCode>2</ErrorCode><KeyErrors><KeyError><Name>Id</Name><ErrorCode>2</ErrorCode>
<ErrorMessage>The value is not a number</ErrorMessage></KeyError></KeyErrors></Results>
<RequestID>r-1</RequestID><OverallStatus>Has Errors</OverallStatus></DeleteResponse></soap:Body></soap:Envelope>"""


def test_the_envelope_names_the_data_extension_and_each_rows_keys() -> None:
    text = delete_envelope(SecretStr("tok<en>"), "Orders & Co", [{"Id": 1.0, "Flag": True}, {"Id": "a<b"}])
    assert '<fueloauth xmlns="http://exacttarget.com">tok&lt;en&gt;</fueloauth>' in text
    assert text.count('<Objects xsi:type="DataExtensionObject"><CustomerKey>Orders &amp; Co</CustomerKey>') == 2
    assert "<Key><Name>Id</Name><Value>1</Value></Key><Key><Name>Flag</Name><Value>True</Value></Key>" in text
    assert "<Value>a&lt;b</Value>" in text


def test_results_are_read_per_row() -> None:
    answer = parse_delete(ANSWER)
    assert answer.overall_status == "Has Errors" and answer.request_id == "r-1"
    ok, failed = answer.results
    assert ok.ok and ok.ordinal == 0 and not ok.row_not_found
    assert failed.ordinal == 1 and failed.key_errors == [("Id", "The value is not a number")]
    assert failed.describe() == "Error: Keys are invalid; Id: The value is not a number (ErrorCode 2)"


@pytest.mark.parametrize(
    ("result", "gone"),
    [
        (DeleteResult("Error", "Error: No row was deleted.", error_message="The row was not found."), True),
        (DeleteResult("Error", "Error", error_message="Row does not exist"), True),
        (DeleteResult("Error", "Error: no rows deleted"), True),
        (DeleteResult("Error", "Error: Unable to find the data extension X."), False),
        (DeleteResult("Error", "Error: Data extension does not exist"), False),
        (DeleteResult("Error", "Error: row not found", key_errors=[("Id", "bad")]), False),  # a key problem first
        (DeleteResult("OK", "Deleted DataExtensionObject"), False),
    ],
)
def test_only_a_row_that_is_not_there_counts_as_gone(result: DeleteResult, gone: bool) -> None:
    assert result.row_not_found is gone


def test_faults_and_unreadable_answers() -> None:
    fault = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>'
        "<faultcode>q0:Security</faultcode><faultstring>Token Expired</faultstring></soap:Fault>"
        "</soap:Body></soap:Envelope>"
    )
    with pytest.raises(SoapFault) as info:
        parse_delete(fault)
    assert info.value.security
    with pytest.raises(SoapAnswerError, match="not XML"):
        parse_delete("<oops")
    with pytest.raises(SoapAnswerError, match="no DeleteResponse"):
        parse_delete('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>')
