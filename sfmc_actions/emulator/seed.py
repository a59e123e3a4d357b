"""Seed loading: tenants, packages, folders, data extensions and journey event definitions.

A seed is a YAML file or the same structure as a dict (see `examples/emulator-seed.yaml`). Every
problem names its place (`tenants[0].data_extensions[2].fields[1].type`) and how to fix it. With no
seed the emulator starts with the demo tenant below (fixed, documented values: not secrets).

IDs not given in the seed are derived from the tenant, MID and key (uuid5), so a `--state` file
written by one run still matches the seed on the next.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sfmc_actions.emulator.fieldtypes import apply_defaults, check_definitions
from sfmc_actions.emulator.model import ALL_SCOPES, DataExtension, EventDefinition, Field, Folder, Options, Package
from sfmc_actions.emulator.state import Tenant

DEMO_SUBDOMAIN = "mcdemo0000000000000000000000"
DEMO_ACCOUNT_ID = 100000001
DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"  # a fixed, published demo value, not a secret
DEMO_FOLDER_ID = 1001

DEMO_SEED: dict[str, Any] = {
    "tenants": [
        {
            "subdomain": DEMO_SUBDOMAIN,
            "mids": [DEMO_ACCOUNT_ID],
            "packages": [{"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET, "scopes": "all"}],
            "folders": [{"id": DEMO_FOLDER_ID, "name": "Data Extensions", "customer_key": "dataextension_default"}],
        }
    ]
}
_NAMESPACE = uuid.UUID("9d3c3c1e-5f7e-4c39-9d7a-2f6f4f0c9a11")


class SeedError(ValueError):
    """The seed cannot be used; the message says where and how to fix it."""


def read_seed(source: str | Path | Mapping[str, Any] | None) -> dict[str, Any]:
    """The seed as a dict: from a YAML file path, a dict, or the demo seed when None."""
    if source is None:
        return DEMO_SEED
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"cannot read the emulator seed {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SeedError(f"the emulator seed {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SeedError(f"the emulator seed {path} must be a mapping with a 'tenants' list")
    return data


class _Reader:
    """Typed access to one mapping of the seed, with errors that carry the YAML path."""

    def __init__(self, data: Any, path: str, allowed: tuple[str, ...]) -> None:
        if not isinstance(data, Mapping):
            raise SeedError(f"{path}: expected a mapping, got {type(data).__name__}")
        unknown = sorted(set(map(str, data)) - set(allowed))
        if unknown:
            raise SeedError(f"{path}: unknown key '{unknown[0]}'; expected one of: {', '.join(allowed)}")
        self.data, self.path = data, path

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise SeedError(f"{self.path}.{key}: required")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, (int, str)):
            raise SeedError(f"{self.path}.{key}: expected {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise SeedError(f"{self.path}.{key}: expected {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def items(self, key: str) -> list[tuple[Any, str]]:
        value = self.get(key, list, [])
        return [(item, f"{self.path}.{key}[{i}]") for i, item in enumerate(value)]


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(
        {"str": "text", "int": "a whole number", "list": "a list", "dict": "a mapping"}.get(k.__name__, k.__name__)
        for k in kinds
    )


def seed_options(seed: Mapping[str, Any]) -> Options:
    raw = seed.get("options") or {}
    if not isinstance(raw, Mapping):
        raise SeedError("options: expected a mapping of emulator options")
    options = Options()
    for name, value in raw.items():
        if not hasattr(options, str(name)):
            raise SeedError(f"options.{name}: unknown option; expected one of: {', '.join(vars(options))}")
        setattr(options, str(name), value)
    return options


def build_tenants(seed: Mapping[str, Any]) -> dict[str, Tenant]:
    """Fresh tenants from a seed (called at start-up and on every reset)."""
    root = _Reader(seed, "seed", ("tenants", "options"))
    tenants: dict[str, Tenant] = {}
    for raw, path in root.items("tenants"):
        tenant = _tenant(raw, path)
        if tenant.subdomain in tenants:
            raise SeedError(f"{path}.subdomain: tenant {tenant.subdomain} is declared twice")
        tenants[tenant.subdomain] = tenant
    if not tenants:
        raise SeedError("seed.tenants: declare at least one tenant (see examples/emulator-seed.yaml)")
    return tenants


def _tenant(raw: Any, path: str) -> Tenant:
    r = _Reader(raw, path, ("subdomain", "mids", "packages", "folders", "data_extensions", "event_definitions"))
    subdomain = r.get("subdomain", str, required=True)
    if not subdomain.replace("-", "").isalnum():
        raise SeedError(f"{path}.subdomain: '{subdomain}' must be a DNS label (letters, digits and dashes)")
    mids = r.get("mids", list, required=True)
    if not mids or not all(isinstance(m, int) and not isinstance(m, bool) for m in mids):
        raise SeedError(f"{path}.mids: list the business units' MIDs as whole numbers, parent first")
    tenant = Tenant(subdomain=subdomain, mids=list(mids))
    for item, p in r.items("packages"):
        package = _package(item, p, tenant)
        tenant.packages[package.client_id] = package
    for item, p in r.items("folders"):
        tenant.folders.append(_folder(item, p, tenant))
    for item, p in r.items("data_extensions"):
        de = _data_extension(item, p, tenant)
        tenant.data_extensions[de.id] = de
    for item, p in r.items("event_definitions"):
        definition = _event_definition(item, p, tenant)
        tenant.event_definitions[definition.key.lower()] = definition
    return tenant


def _mid(r: _Reader, tenant: Tenant) -> int:
    mid: int = r.get("mid", int, tenant.mids[0])
    if mid not in tenant.mids:
        raise SeedError(f"{r.path}.mid: {mid} is not one of the tenant's mids {tenant.mids}")
    return mid


def _package(raw: Any, path: str, tenant: Tenant) -> Package:
    r = _Reader(raw, path, ("client_id", "client_secret", "mid", "mids", "scopes", "enabled"))
    scopes = r.get("scopes", (str, list), "all")
    if scopes == "all":
        scopes = list(ALL_SCOPES)
    elif isinstance(scopes, str):
        scopes = scopes.split()
    mids = r.get("mids", list, tenant.mids)
    if any(m not in tenant.mids for m in mids):
        raise SeedError(f"{path}.mids: every MID must be one of the tenant's mids {tenant.mids}")
    return Package(
        client_id=r.get("client_id", str, required=True),
        client_secret=r.get("client_secret", str, required=True),
        mid=_mid(r, tenant),
        mids=frozenset(mids),
        scopes=frozenset(scopes),
        enabled=r.get("enabled", bool, True),
    )


def _folder(raw: Any, path: str, tenant: Tenant) -> Folder:
    r = _Reader(raw, path, ("id", "name", "content_type", "parent_id", "customer_key", "mid"))
    return Folder(
        id=r.get("id", int, required=True),
        name=r.get("name", str, required=True),
        content_type=r.get("content_type", str, "dataextension"),
        parent_id=r.get("parent_id", int, 0),
        customer_key=r.get("customer_key", str, ""),
        mid=_mid(r, tenant),
    )


def _field(raw: Any, path: str, ordinal: int) -> Field:
    r = _Reader(raw, path, ("name", "type", "length", "scale", "primary_key", "nullable", "default"))
    primary = r.get("primary_key", bool, False)
    return apply_defaults(
        Field(
            name=r.get("name", str, required=True),
            type=r.get("type", str, "Text"),
            length=r.get("length", int),
            scale=r.get("scale", int),
            is_primary_key=primary,
            is_nullable=r.get("nullable", bool, not primary),
            default_value=None if r.get("default", (str, int, float)) is None else str(r.data["default"]),
            ordinal=ordinal,
        )
    )


def de_from_fields(
    tenant: Tenant, mid: int, name: str, key: str, fields: list[Field], category_id: int, ident: str | None = None
) -> DataExtension:
    ident = ident or str(uuid.uuid5(_NAMESPACE, f"{tenant.subdomain}/{mid}/de/{key.lower()}"))
    return DataExtension(id=ident.lower(), key=key, name=name, mid=mid, category_id=category_id, fields=fields)


def _data_extension(raw: Any, path: str, tenant: Tenant) -> DataExtension:
    allowed = ("name", "key", "id", "folder", "mid", "description", "sendable", "fields")
    r = _Reader(raw, path, allowed)
    name = r.get("name", str, required=True)
    fields = [_field(item, p, i) for i, (item, p) in enumerate(r.items("fields"))]
    if not fields:
        raise SeedError(f"{path}.fields: a data extension needs at least one field")
    problems = check_definitions(fields, rest_create=False)
    if problems:
        raise SeedError(f"{path}.fields: {problems[0]}")
    mid = _mid(r, tenant)
    folder = r.get("folder", int, tenant.folders[0].id if tenant.folders else 0)
    de = de_from_fields(tenant, mid, name, r.get("key", str, name), fields, folder, r.get("id", str))
    de.description = r.get("description", str, "")
    de.is_sendable = r.get("sendable", bool, False)
    for other in tenant.data_extensions.values():
        if other.mid == mid and (other.key.lower() == de.key.lower() or other.name.lower() == name.lower()):
            raise SeedError(f"{path}: data extension key or name '{de.key}' is declared twice in MID {mid}")
    return de


def _event_definition(raw: Any, path: str, tenant: Tenant) -> EventDefinition:
    r = _Reader(raw, path, ("key", "name", "id", "mid", "data_extension", "fields"))
    key = r.get("key", str, required=True)
    if "." in key:
        raise SeedError(f"{path}.key: '{key}' contains a period, which SFMC forbids in event definition keys")
    mid = _mid(r, tenant)
    de_key = r.get("data_extension", str)
    if de_key is not None:
        found = [d for d in tenant.data_extensions.values() if d.mid == mid and d.key.lower() == de_key.lower()]
        if not found:
            raise SeedError(f"{path}.data_extension: no data extension with key '{de_key}' in MID {mid}")
        de = found[0]
    else:
        fields = [_field(item, p, i) for i, (item, p) in enumerate(r.items("fields"))]
        if not fields:
            raise SeedError(f"{path}: give 'data_extension' (a DE key) or 'fields' (the event's schema)")
        problems = check_definitions(fields, rest_create=False)
        if problems:
            raise SeedError(f"{path}.fields: {problems[0]}")
        folder = tenant.folders[0].id if tenant.folders else 0
        de = de_from_fields(tenant, mid, f"{key} Entry", f"{key}-entry", fields, folder)
        tenant.data_extensions[de.id] = de
    ident = r.get("id", str) or str(uuid.uuid5(_NAMESPACE, f"{tenant.subdomain}/{mid}/event/{key.lower()}"))
    return EventDefinition(id=ident, key=key, name=r.get("name", str, key), mid=mid, data_extension_id=de.id)
