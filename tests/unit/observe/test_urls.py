"""Every credential in a URL is masked wherever the URL is shown (issue 11: ?password= was printed)."""

from __future__ import annotations

import pytest

from sfmc_actions.observe.urls import redact_url, url_secrets
from sfmc_actions.queue import redact_url as queue_redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://user:hunter2@db:5432/x", "postgresql://user:***@db:5432/x"),
        ("postgresql://user@db/x?password=hunter2", "postgresql://user@db/x?password=***"),
        (
            "postgresql://user@db/x?schema=s&sslpassword=k3y&sslmode=require",
            "postgresql://user@db/x?schema=s&sslpassword=***&sslmode=require",
        ),
        ("postgresql://u:a@db/x?password=b&PassWord=c", "postgresql://u:***@db/x?password=***&PassWord=***"),
        ("https://h/p?token=t0k&api_key=k&x=1#f", "https://h/p?token=***&api_key=***&x=1#f"),
        ("postgresql://u:p@[::1/x?password=z", "postgresql://u:***@[::1/x?password=***"),  # unreadable: by shape
        ("sqlite:///x.db", "sqlite:///x.db"),  # nothing to mask: exactly as written
        ("./jobs.db", "./jobs.db"),
        ("postgresql://user@db/x?schema=sfmc", "postgresql://user@db/x?schema=sfmc"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown == queue_redact_url(url)


def test_url_secrets_are_what_logs_must_mask() -> None:
    assert url_secrets("postgresql://u:p%40ss@db/x?password=q1&schema=s") == ["p@ss", "q1"]
    assert url_secrets("sqlite:///x.db") == []
