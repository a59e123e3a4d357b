"""Client plumbing: hosts, user agent, JSON bytes, SOAP folders and data extension metadata."""

from __future__ import annotations

import json

import httpx
import pytest

from sfmc_actions import __version__
from sfmc_actions.errors import AuthenticationError, ConfigError, PermanentError, RetryableError
from sfmc_actions.js.json_body import encode_json
from sfmc_actions.sfmc.client import SfmcClient, target_path
from sfmc_actions.sfmc.data_extension_spec import DataExtensionSpec
from sfmc_actions.sfmc.data_extensions import (
    create_data_extension,
    data_extension_fields,
    get_data_extension,
    list_data_extensions,
    list_folders,
)
from sfmc_actions.sfmc.settings import Endpoints
from tests.unit.sfmc.fake_sfmc import FakeSfmc, Settings

SOAP_OK = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Header/><soap:Body>
<RetrieveResponseMsg xmlns="http://exacttarget.com/wsdl/partnerAPI">
<OverallStatus>{status}</OverallStatus><RequestID>req-{page}</RequestID>
<Results xsi:type="DataFolder"><ID>{id}</ID><Name>Folder {id}</Name><ContentType>dataextension</ContentType>
<ParentFolder><ID>2</ID></ParentFolder></Results>
</RetrieveResponseMsg></soap:Body></soap:Envelope>"""
SOAP_EXPIRED = """<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>
<faultcode xmlns:q0="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">q0:Security</faultcode>
<faultstring>Token Expired</faultstring></soap:Fault></soap:Body></soap:Envelope>"""


def test_endpoints_from_subdomain_or_base_url() -> None:
    real = Endpoints.for_settings(Settings(subdomain="mc563885gzs27c5t9-63k636ttgm"))
    assert real.token_url == "https://mc563885gzs27c5t9-63k636ttgm.auth.marketingcloudapis.com/v2/token"
    assert real.rest_base == "https://mc563885gzs27c5t9-63k636ttgm.rest.marketingcloudapis.com"
    assert real.soap_url == "https://mc563885gzs27c5t9-63k636ttgm.soap.marketingcloudapis.com/Service.asmx"
    local = Endpoints.for_settings(Settings(api_base_url="http://127.0.0.1:8787/"))
    assert (local.token_url, local.rest_base, local.soap_url) == (
        "http://127.0.0.1:8787/v2/token",
        "http://127.0.0.1:8787",
        "http://127.0.0.1:8787/Service.asmx",
    )
    with pytest.raises(ConfigError, match="letters, numbers and hyphens"):
        Endpoints.for_settings(Settings(subdomain="evil.example.com/x"))


def test_target_paths() -> None:
    assert target_path("key:Orders") == "key:Orders"
    assert target_path("id:8d8e4a2c-1f3b-ee11-ba2f-48df37d1d3f2") == "8d8e4a2c-1f3b-ee11-ba2f-48df37d1d3f2"
    with pytest.raises(ValueError, match="key:<external key>"):
        target_path("Orders")


def test_json_bytes_match_javascript() -> None:
    # the same text as node -e 'JSON.stringify({b:20.0, a:[1.5,-0.0,1e21,NaN,1e-7,1e18], ...})'
    value = {"b": 20.0, "a": [1.5, -0.0, 1e21, float("nan"), 1e-7, 1e18], "é": "ü", "t": True}
    assert encode_json(value) == '{"b":20,"a":[1.5,0,1e+21,null,1e-7,1000000000000000000],"é":"ü","t":true}'.encode()
    assert encode_json({"big": 2**70}) == b'{"big":1.1805916207174113e+21}'


def test_json_bytes_put_index_like_keys_first() -> None:
    # node -e 'JSON.stringify({b: 1, "10": 2, "2": {z: 1, "0": 2}, "01": 3})' (issue 14): the fast path too.
    value = {"b": 1, "10": 2, "2": {"z": 1, "0": 2}, "01": 3}
    assert encode_json(value) == b'{"2":{"0":2,"z":1},"10":2,"b":1,"01":3}'
    assert encode_json({**value, "c": "\ud800"}) == b'{"2":{"0":2,"z":1},"10":2,"b":1,"01":3,"c":"\\ud800"}'


def test_json_bytes_match_javascript_beyond_orjson() -> None:
    # node -e 'JSON.stringify({a:1.2345678901234568e+20, b:2**64, c:"x\ud800y"})': orjson would write the
    # first in exponent form and refuse the lone surrogate (which JS-style string slicing can produce).
    value = {"a": 1.2345678901234568e20, "b": 2**64, "c": "x\ud800y"}
    assert encode_json(value) == b'{"a":123456789012345680000,"b":18446744073709552000,"c":"x\\ud800y"}'


async def test_user_agent_names_sfmc_actions(fake: FakeSfmc, client: SfmcClient) -> None:
    fake.routes[("POST", "/contacts/v1/contacts")] = lambda r: httpx.Response(200, json={})
    await client.upsert_contact("x")
    assert {r.headers["user-agent"] for r in fake.requests} == {f"sfmc-actions/{__version__}"}


async def test_own_http_client_is_closed() -> None:
    client = SfmcClient(Settings())
    async with client:
        pass
    assert client._http.is_closed


async def test_folders_page_through_soap_and_refresh_an_expired_token(fake: FakeSfmc, client: SfmcClient) -> None:
    answers = [
        httpx.Response(500, text=SOAP_EXPIRED),
        httpx.Response(200, text=SOAP_OK.format(status="MoreDataAvailable", page=1, id=11)),
        httpx.Response(200, text=SOAP_OK.format(status="OK", page=2, id=12)),
    ]
    fake.routes[("POST", "/Service.asmx")] = lambda r: answers.pop(0)
    folders = await list_folders(client)
    assert [(f.id, f.name, f.content_type, f.parent_id) for f in folders] == [
        (11, "Folder 11", "dataextension", 2),
        (12, "Folder 12", "dataextension", 2),
    ]
    soap = [r for r in fake.requests if r.url.path == "/Service.asmx"]
    assert [r.headers["soapaction"] for r in soap] == ["Retrieve"] * 3
    assert b"<fueloauth" in soap[0].content and b"token-1" in soap[0].content
    assert b"token-2" in soap[1].content  # refreshed once after "Token Expired"
    assert b"<Value>dataextension</Value>" in soap[1].content
    assert b"<ContinueRequest>req-1</ContinueRequest>" in soap[2].content
    assert "authorization" not in soap[0].headers
    assert fake.token_requests == 2


async def test_soap_errors(fake: FakeSfmc, client: SfmcClient) -> None:
    fake.routes[("POST", "/Service.asmx")] = lambda r: httpx.Response(500, text=SOAP_EXPIRED)
    with pytest.raises(AuthenticationError, match="Token Expired"):
        await list_folders(client)
    bad = SOAP_OK.format(status="Error: Unable to find a handler for object type: X.", page=1, id=1)
    fake.routes[("POST", "/Service.asmx")] = lambda r: httpx.Response(200, text=bad)
    with pytest.raises(PermanentError, match="Unable to find a handler"):
        await list_folders(client)
    throttled = SOAP_EXPIRED.replace("q0:Security", "soap:Server").replace("Token Expired", "Server busy")
    fake.routes[("POST", "/Service.asmx")] = lambda r: httpx.Response(500, text=throttled)
    with pytest.raises(RetryableError, match="Server busy"):
        await list_folders(client)


async def test_data_extension_metadata(fake: FakeSfmc, client: SfmcClient) -> None:
    item = {"id": "de-1", "name": "Orders", "key": "ORD", "categoryId": 1708, "isSendable": False, "rowCount": 3}
    fake.routes[("GET", "/data/v1/customobjects")] = lambda r: httpx.Response(
        200, json={"count": 1, "page": 1, "pageSize": 25, "items": [item], "search": r.url.params["$search"]}
    )
    fake.routes[("GET", "/customobjects/de-1")] = lambda r: httpx.Response(200, json=item)
    fields = [
        {
            "name": "Total",
            "type": "Decimal",
            "length": 18,
            "scale": 2,
            "isPrimaryKey": False,
            "isNullable": True,
            "ordinal": 1,
        },
        {"name": "Order_ID", "type": "Text", "length": 50, "isPrimaryKey": True, "isNullable": False, "ordinal": 0},
    ]
    fake.routes[("GET", "/customobjects/de-1/fields")] = lambda r: httpx.Response(
        200, json={"id": "de-1", "fields": fields}
    )
    found = await list_data_extensions(client)
    assert [(d.id, d.name, d.key, d.folder_id, d.row_count) for d in found] == [("de-1", "Orders", "ORD", 1708, 3)]
    assert fake.api_requests()[0].url.params["$search"] == "_"  # SFMC requires a search term; Segment sends "_"
    await list_data_extensions(client, "Ord")
    assert fake.api_requests()[1].url.params["$search"] == "Ord"
    assert (await get_data_extension(client, "de-1")).name == "Orders"
    columns = await data_extension_fields(client, "de-1")
    assert columns.primary_keys == ["Order_ID"] and columns.values == ["Total"]
    assert columns.columns[1].scale == 2
    assert fake.token_requests == 1  # one token for the whole command


async def test_insufficient_privileges_says_where_to_fix(fake: FakeSfmc, client: SfmcClient) -> None:
    fake.routes[("GET", "/data/v1/customobjects")] = lambda r: httpx.Response(
        403, json={"message": "Insufficient privileges to complete this action.", "errorcode": 20002}
    )
    with pytest.raises(PermanentError, match="Installed Packages"):
        await list_data_extensions(client)


async def test_create_data_extension_sends_segments_body(fake: FakeSfmc, client: SfmcClient) -> None:
    created = {"id": "new-id", "key": "new-key", "name": "Orders", "categoryId": 12345}
    fake.routes[("POST", "/data/v1/customobjects")] = lambda r: httpx.Response(201, json=created)
    spec = DataExtensionSpec.parse(
        {
            "name": "Orders",
            "folder_id": "12345",
            "columns": [
                {"name": "Order_ID", "type": "Text", "length": 50, "primary_key": True},
                {"name": "Email", "type": "email"},
                {"name": "Total", "type": "Decimal", "length": 18, "scale": 2},
            ],
        }
    )
    de = await create_data_extension(client, spec)
    assert (de.id, de.key) == ("new-id", "new-key")
    body = json.loads(fake.api_requests()[0].content)
    common = {
        "description": "",
        "isTemplateField": False,
        "isHidden": False,
        "isReadOnly": False,
        "isInheritable": False,
        "isOverridable": False,
        "mustOverride": False,
    }
    assert body == {
        "name": "Orders",
        "description": "",
        "categoryId": "12345",
        "isSendable": False,
        "fields": [
            {
                "name": "Order_ID",
                "type": "Text",
                "isNullable": False,
                "isPrimaryKey": True,
                "length": 50,
                **common,
                "ordinal": 0,
            },
            {
                "name": "Email",
                "type": "EmailAddress",
                "isNullable": True,
                "isPrimaryKey": False,
                "length": 254,
                **common,
                "ordinal": 1,
            },
            {
                "name": "Total",
                "type": "Decimal",
                "isNullable": True,
                "isPrimaryKey": False,
                "length": 18,
                "scale": 2,
                **common,
                "ordinal": 2,
            },
        ],
    }
