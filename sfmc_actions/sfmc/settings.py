"""Which SFMC tenant to talk to, and where its auth, REST and SOAP endpoints are.

The client accepts any object with the attributes of `config.SfmcSettings` (see `SfmcSettingsLike`), so tests and
tools can pass a small dataclass. The hosts are always derived from the subdomain (sfmc-rest-api.md §10: the
tenant-specific `{sub}.auth|rest|soap.marketingcloudapis.com`), never from the token response's
`rest_instance_url`/`soap_instance_url`: `api_base_url` is the one way to point the client elsewhere (the emulator
serves auth, REST and SOAP on one port).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from pydantic import SecretStr

from sfmc_actions.errors import ConfigError, ConfigProblem

# Segment checks the same pattern (segment-runtime.md §7.1): the subdomain becomes part of a host name, and
# anything else ("evil.example.com/x") would send the client secret to another host. config.py checks it at
# load; it is checked again here because the client also accepts settings that did not come from a file.
SUBDOMAIN_RE = re.compile(r"^[a-zA-Z0-9-]+$")


class SfmcSettingsLike(Protocol):
    """The settings the client needs: `config.SfmcSettings` or anything with the same attributes."""

    @property
    def subdomain(self) -> str: ...
    @property
    def account_id(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> SecretStr: ...
    @property
    def api_base_url(self) -> str | None: ...


@dataclass(frozen=True)
class Endpoints:
    """Base URLs, without a trailing slash. `token_url` and `soap_url` are the full URLs."""

    auth_base: str
    rest_base: str
    soap_base: str

    @property
    def token_url(self) -> str:
        return f"{self.auth_base}/v2/token"

    @property
    def soap_url(self) -> str:
        # Segment posts to `{soap_instance_url}/Service.asmx` (sfmc-rest-api.md §7).
        return f"{self.soap_base}/Service.asmx"

    @classmethod
    def for_settings(cls, settings: SfmcSettingsLike) -> Endpoints:
        if settings.api_base_url:
            base = settings.api_base_url.rstrip("/")
            return cls(base, base, base)
        subdomain = settings.subdomain
        if not SUBDOMAIN_RE.match(subdomain or ""):
            raise ConfigError(
                [
                    ConfigProblem(
                        "settings",
                        "subdomain",
                        "Invalid Salesforce Marketing Cloud subdomain. The subdomain may only contain letters, "
                        'numbers and hyphens, and must not include the ".rest.marketingcloudapis.com" part of '
                        "your subdomain URL.",
                        hint="copy the part before '.auth.marketingcloudapis.com' from Setup > Apps > Installed "
                        "Packages > your package > API Integration",
                    )
                ]
            )
        return cls(
            f"https://{subdomain}.auth.marketingcloudapis.com",
            f"https://{subdomain}.rest.marketingcloudapis.com",
            f"https://{subdomain}.soap.marketingcloudapis.com",
        )


def tenant_key(settings: SfmcSettingsLike) -> str:
    """Names one token: SFMC issues tokens per installed package (client id) and business unit (MID).

    Holds no secret, so it can appear in logs and in a shared token table.
    """
    key = f"{settings.subdomain}/{settings.client_id}/{settings.account_id}"
    return f"{key}@{settings.api_base_url.rstrip('/')}" if settings.api_base_url else key
