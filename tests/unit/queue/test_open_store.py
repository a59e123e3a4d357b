"""Database URLs: which store each one opens, and clear errors for the ones that cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmc_actions.errors import StoreError
from sfmc_actions.queue import PostgresJobStore, SqliteJobStore, open_store, redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///{tmp}/a.db", "{tmp}/a.db"),  # tmp is absolute, so this is sqlite:////tmp/...
        ("{tmp}/b.db", "{tmp}/b.db"),
        ("sqlite:///{tmp}/c.db?synchronous=full", "{tmp}/c.db"),
    ],
)
async def test_sqlite_urls_open_that_file(tmp_path: Path, url: str, expected: str) -> None:
    store = await open_store(url.format(tmp=tmp_path))
    try:
        assert isinstance(store, SqliteJobStore)
        assert store.path == Path(expected.format(tmp=tmp_path))
        assert store.path.exists()
    finally:
        await store.close()


async def test_relative_sqlite_url_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await open_store("sqlite:///jobs.db", migrate=False)
    await store.close()
    assert (tmp_path / "jobs.db").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "the database URL is empty"),
        ("mysql://root@localhost/db", "unsupported database URL scheme 'mysql'"),
        ("sqlite://host/x.db", "has a host part"),
        ("sqlite:///", "names no file"),
        ("sqlite:///x.db?synchronous=off", "synchronous='off': use normal"),
        ("sqlite:///x.db?journal=delete", r"unknown sqlite URL option\(s\) \['journal'\]"),
        ("/no/such/dir/jobs.db", "directory /no/such/dir does not exist"),
        ("postgresql://u@h/db?schema=Bad-Name", "invalid PostgreSQL schema name 'Bad-Name'"),
    ],
)
async def test_bad_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        await open_store(url)


async def test_unreachable_postgres_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot connect to the PostgreSQL job store") as caught:
        await open_store("postgresql://user:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in str(caught.value)


def test_postgres_store_repr_hides_the_dsn() -> None:
    store = PostgresJobStore("postgresql://user:hunter2@db.internal/prod", schema="jobs")
    assert "hunter2" not in repr(store) and "jobs" in repr(store)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://user:hunter2@db:5432/x", "postgresql://user:***@db:5432/x"),
        ("postgresql://user@db/x", "postgresql://user@db/x"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
