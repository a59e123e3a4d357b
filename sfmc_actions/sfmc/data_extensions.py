"""Data extension metadata: what Segment's V2 hook and dynamic fields do, as library calls for the CLI.

    await list_data_extensions(client, search)   search by name, key or description (Segment: `$search=_`)
    await get_data_extension(client, de_id)      one data extension (the V2 "select" hook)
    await data_extension_fields(client, de_id)   its columns; `.primary_keys` / `.values` are the dynamic fields
    await list_folders(client)                   data extension folders (SOAP DataFolder), for `folder_id`
    await create_data_extension(client, spec)    the V2 "create" hook, with the columns checked before the call

Run them on one SfmcClient and they share one token (Segment's hooks request a new token on every call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sfmc_actions.errors import PermanentError
from sfmc_actions.sfmc.data_extension_spec import DataExtensionSpec, create_body
from sfmc_actions.sfmc.soap import DataFolder

if TYPE_CHECKING:
    from sfmc_actions.sfmc.client import SfmcClient

# SFMC's insufficient-privileges code (sfmc-rest-api.md §2); Segment adds the same advice.
INSUFFICIENT_PRIVILEGES = 20002
PRIVILEGES_HINT = (
    "the installed package needs the Data Extensions Read (and, to create, Write) permission, and Folders Read for "
    "folders: SFMC Setup > Apps > Installed Packages > your package > API Integration"
)


@dataclass(frozen=True)
class DataExtension:
    id: str
    name: str
    key: str
    description: str = ""
    folder_id: int | None = None
    is_sendable: bool = False
    row_count: int | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> DataExtension:
        folder = item.get("categoryId")
        rows = item.get("rowCount")
        return cls(
            id=str(item.get("id", "")),
            name=str(item.get("name", "")),
            key=str(item.get("key", "")),
            description=str(item.get("description") or ""),
            folder_id=int(folder) if isinstance(folder, int | str) and str(folder).isdigit() else None,
            is_sendable=bool(item.get("isSendable")),
            row_count=rows if isinstance(rows, int) else None,
        )


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    is_primary_key: bool
    is_nullable: bool
    length: int | None = None
    scale: int | None = None
    ordinal: int | None = None
    default_value: str | None = None

    @classmethod
    def from_api(cls, field: dict[str, Any]) -> Column:
        def number(key: str) -> int | None:
            value = field.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return cls(
            name=str(field.get("name", "")),
            type=str(field.get("type", "")),
            is_primary_key=bool(field.get("isPrimaryKey")),
            is_nullable=bool(field.get("isNullable")),
            length=number("length") or number("maxLength"),
            scale=number("scale"),
            ordinal=number("ordinal"),
            default_value=None if field.get("defaultValue") in (None, "") else str(field["defaultValue"]),
        )


@dataclass(frozen=True)
class Columns:
    data_extension_id: str
    columns: list[Column]

    @property
    def primary_keys(self) -> list[str]:
        """The `keys` choices (Segment's `keys.__keys__` dynamic field: fields with isPrimaryKey true)."""
        return [c.name for c in self.columns if c.is_primary_key]

    @property
    def values(self) -> list[str]:
        """The `values` choices (Segment's `values.__keys__`: the other fields)."""
        return [c.name for c in self.columns if not c.is_primary_key]


MAX_SEARCH_PAGES = 200  # 10,000 data extensions at SFMC's 50 a page


async def list_data_extensions(client: SfmcClient, search: str | None = None) -> list[DataExtension]:
    """Every match, following the pages (Segment's dynamic field shows only the first page)."""
    found: list[DataExtension] = []
    for page in range(1, MAX_SEARCH_PAGES + 1):
        body = await _privileged(client.search_data_extensions(search or "_", page))
        items = body.get("items") if isinstance(body.get("items"), list) else []
        found += [DataExtension.from_api(item) for item in items or [] if isinstance(item, dict)]
        count, size = body.get("count"), body.get("pageSize")
        if not items or not isinstance(count, int) or not isinstance(size, int) or page * size >= count:
            break
    return found


async def get_data_extension(client: SfmcClient, de_id: str) -> DataExtension:
    return DataExtension.from_api(await _privileged(client.get_data_extension(de_id)))


async def data_extension_fields(client: SfmcClient, de_id: str) -> Columns:
    body = await _privileged(client.get_data_extension_fields(de_id))
    fields = body.get("fields") if isinstance(body.get("fields"), list) else []
    columns = [Column.from_api(f) for f in fields or [] if isinstance(f, dict)]
    return Columns(str(body.get("id") or de_id), sorted(columns, key=lambda c: (c.ordinal is None, c.ordinal or 0)))


async def list_folders(client: SfmcClient) -> list[DataFolder]:
    return await client.retrieve_data_folders("dataextension")


async def create_data_extension(client: SfmcClient, spec: DataExtensionSpec) -> DataExtension:
    """Create it (the spec was validated when built) and return it; its `id` goes into a V2 mapping."""
    answer = await _privileged(client.create_data_extension(create_body(spec)))
    if not answer.get("id"):
        raise PermanentError(f"SFMC created no data extension: the answer has no id ({answer!r:.200})")
    return DataExtension.from_api(answer)


async def _privileged(call: Any) -> dict[str, Any]:
    """Await a metadata call; add where to fix the package when SFMC says it lacks privileges."""
    try:
        result: dict[str, Any] = await call
    except PermanentError as error:
        body = error.body if isinstance(error.body, dict) else {}
        if str(body.get("errorcode")) == str(INSUFFICIENT_PRIVILEGES) or error.status == 403:
            raise PermanentError(f"{error} How to fix: {PRIVILEGES_HINT}", error.status, error.body) from None
        raise
    return result
