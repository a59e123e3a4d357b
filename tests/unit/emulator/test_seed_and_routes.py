"""Seed loading (clear errors, demo tenant, the example seed matches the quick start) and catch-alls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sfmc_actions.emulator import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_SUBDOMAIN, SeedError, create_app
from sfmc_actions.emulator.seed import build_tenants, read_seed

from .conftest import CREDENTIALS, ROOT, SEED

DOC = "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"


def test_demo_tenant_when_there_is_no_seed() -> None:
    tenants = build_tenants(read_seed(None))
    demo = tenants[DEMO_SUBDOMAIN]
    assert demo.mids == [DEMO_ACCOUNT_ID] == [100000001] and len(DEMO_SUBDOMAIN) == 28
    package = demo.packages[DEMO_CLIENT_ID]
    assert package.client_secret == "demo-client-secret" and "journeys_execute" in package.scopes
    assert [f.content_type for f in demo.folders] == ["dataextension"]


@pytest.mark.parametrize(
    ("seed", "text"),
    [
        ({}, "seed.tenants: declare at least one tenant"),
        ({"tenants": [{"mids": [1]}]}, "seed.tenants[0].subdomain: required"),
        ({"tenants": [{"subdomain": "mc x", "mids": [1]}]}, "must be a DNS label"),
        ({"tenants": [{"subdomain": "mcx", "mids": ["1"]}]}, "seed.tenants[0].mids"),
        ({"tenants": [{"subdomain": "mcx", "mids": [1], "colour": 1}]}, "unknown key 'colour'"),
        (
            {
                "tenants": [
                    {
                        "subdomain": "mcx",
                        "mids": [1],
                        "data_extensions": [{"name": "D", "fields": [{"name": "a", "type": "Money"}]}],
                    }
                ]
            },
            "seed.tenants[0].data_extensions[0].fields: fieldType is invalid",
        ),
        (
            {
                "tenants": [
                    {
                        "subdomain": "mcx",
                        "mids": [1],
                        "data_extensions": [{"name": "D", "fields": [{"name": "a", "length": "x"}]}],
                    }
                ]
            },
            "seed.tenants[0].data_extensions[0].fields[0].length: expected a whole number",
        ),
        (
            {"tenants": [{"subdomain": "mcx", "mids": [1], "event_definitions": [{"key": "a.b", "fields": []}]}]},
            "contains a period",
        ),
        (
            {
                "tenants": [
                    {"subdomain": "mcx", "mids": [1], "event_definitions": [{"key": "E", "data_extension": "X"}]}
                ]
            },
            "no data extension with key 'X'",
        ),
        (
            {"tenants": [{"subdomain": "mcx", "mids": [1], "packages": [{"client_id": "a"}]}]},
            "packages[0].client_secret: required",
        ),
        ({"tenants": [{"subdomain": "mcx", "mids": [1]}], "options": {"nope": 1}}, "options.nope: unknown option"),
    ],
)
def test_seed_errors_say_where(seed: dict[str, Any], text: str) -> None:
    with pytest.raises(SeedError) as caught:
        create_app(seed)
    assert text in str(caught.value)


def test_seed_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read the emulator seed"):
        read_seed(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tenants: [\n")
    with pytest.raises(SeedError, match="not valid YAML"):
        read_seed(bad)


def test_example_seed_matches_the_quickstart_mappings() -> None:
    quickstart = yaml.safe_load((ROOT / "examples" / "quickstart.yaml").read_text())
    tenant = next(iter(build_tenants(read_seed(SEED)).values()))
    assert tenant.subdomain == DEMO_SUBDOMAIN and DEMO_CLIENT_ID in tenant.packages
    by_key = {de.key: de for de in tenant.data_extensions.values()}
    for subscription in quickstart["subscriptions"]:
        mapping = subscription["mapping"]
        if subscription["action"] in ("dataExtension", "contactDataExtension"):
            de = by_key[mapping["key"]]
            assert sorted(f.name for f in de.primary_keys) == sorted(mapping["keys"]), subscription["name"]
            for column in mapping["values"]:
                assert de.column(column) is not None, f"{subscription['name']}: {column}"
        if subscription["action"] == "apiEvent":
            definition = tenant.event_definitions[mapping["eventDefinitionKey"].lower()]
            entry = tenant.data_extensions[definition.data_extension_id]
            assert all(entry.column(name) for name in [*mapping["data"], "ContactKey"])


async def test_unknown_routes_wrong_methods_and_path_case(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    unknown = await client.get("/v2/nothing-here")
    assert unknown.status_code == 404 and unknown.json() == {
        "documentation": DOC,
        "errorcode": 404,
        "message": "Not Found",
    }
    wrong = await client.delete("/interaction/v1/events", headers=auth)
    assert wrong.status_code == 400 and wrong.json()["errorcode"] == 30001
    mixed_case = await client.get("/DATA/v1/customObjects?$search=x", headers=auth)
    assert mixed_case.status_code == 200
    assert (await client.post("/V2/TOKEN", json=CREDENTIALS)).status_code == 200
