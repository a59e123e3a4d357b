"""`POST /v2/token` (§1) and the bearer check every REST call passes first (§2)."""

from __future__ import annotations

import secrets
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.responses import Response

from sfmc_actions.emulator.context import Call
from sfmc_actions.emulator.model import Token
from sfmc_actions.emulator.responses import DOC_URL, error, insufficient_privileges, json_response, not_authorized

EXPIRES_IN = 1079  # §1: what real responses say (T3, T4, T15 OBS; the docs show 1080)
LIFETIME = 1200  # §1 S1 DOC: a token lives 20 minutes
ERROR_URI = "https://developer.salesforce.com/docs"
UNKNOWN_CLIENT = "Invalid client ID. Use the client ID in Marketing Cloud Installed Packages."  # S1 DOC
BAD_SECRET = (  # T3/T4 OBS
    "Client authentication failed. Make sure that the client ID and client secret are valid and that the "
    "package is installed and enabled."
)


def oauth_error(status: int, code: str, description: str) -> Response:
    return json_response({"error": code, "error_description": description, "error_uri": ERROR_URI}, status)


def _form(body: bytes, content_type: str) -> dict[str, Any] | None:
    """JSON (documented, S1) or form-urlencoded (what Segment sends, T1 OBS) token request."""
    if "json" in content_type:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return None


async def token(call: Call) -> Response:
    state = call.state
    form = _form(call.body, call.request.headers.get("content-type", "").lower())
    if form is None:
        return oauth_error(
            400,
            "invalid_request",
            "Send a JSON (or form-urlencoded) body with grant_type, client_id and client_secret.",
        )
    grant_type = form.get("grant_type")
    if not grant_type:
        return oauth_error(400, "invalid_request", "The grant_type parameter is required.")  # §1 INF
    if grant_type != "client_credentials":
        return oauth_error(
            400,
            "unsupported_grant_type",
            f"The grant type '{grant_type}' is not supported. "
            "Use client_credentials for server-to-server integrations.",
        )
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(client_secret, str) or not client_id or not client_secret:
        return oauth_error(400, "invalid_request", "The client_id and client_secret parameters are required.")
    state.token_requests[client_id] += 1
    found = state.package(client_id)
    if found is None:
        return oauth_error(401, "invalid_client", UNKNOWN_CLIENT)
    tenant, package = found
    if not secrets.compare_digest(package.client_secret, client_secret) or not package.enabled:
        return oauth_error(401, "invalid_client", BAD_SECRET)
    throttled = _throttled(call, client_id)
    if throttled is not None:
        return throttled
    mid = package.mid
    account_id = form.get("account_id")
    if account_id not in (None, ""):
        # §1: a number or a numeric string (T3, T6), and a MID the package can reach.
        text = str(account_id)
        if isinstance(account_id, bool) or not text.isdigit() or int(text) not in package.mids:
            return oauth_error(401, "invalid_client", state.options.account_id_error)
        mid = int(text)
    scope = form.get("scope")
    if scope is None:
        scopes = package.scopes  # S1: no scope → every scope of the package
    else:
        wanted = frozenset(str(scope).split())  # S1: "" → no scopes
        extra = sorted(wanted - package.scopes)
        if extra:
            return oauth_error(400, "invalid_scope", f"The installed package does not grant: {' '.join(extra)}.")
        scopes = wanted
    value = secrets.token_urlsafe(48)  # unguessable; SFMC's are JWT-like, an opaque string suffices (§1)
    state.token_seq += 1
    label = f"token-{state.token_seq} {client_id} MID {mid}"
    now = state.clock.now()
    state.tokens[value] = Token(value, label, tenant.subdomain, mid, client_id, scopes, now + LIFETIME)
    if len(state.tokens) % 1000 == 0:
        state.prune_tokens()
    base = _base_url(call)
    return json_response(
        {
            "access_token": value,
            "token_type": "Bearer",
            "expires_in": EXPIRES_IN,
            "scope": " ".join(sorted(scopes)),
            # §1: the real form, with scheme and trailing slash, pointing back at the emulator.
            "soap_instance_url": base,
            "rest_instance_url": base,
        }
    )


def _base_url(call: Call) -> str:
    url = call.request.url
    return f"{url.scheme}://{url.netloc}/"


def _throttled(call: Call, client_id: str) -> Response | None:
    """Optional: 429 50200 for a client asking for tokens faster than allowed (§1 S5, T2 MOCK body)."""
    limit = call.state.options.token_rate_limit
    if not limit:
        return None
    now = call.state.clock.now()
    window = call.state.options.token_rate_window_seconds
    times = call.state.token_times.setdefault(client_id, deque())
    while times and times[0] <= now - window:
        times.popleft()
    if len(times) >= limit:
        return error(429, 50200, "Your requests are temporarily blocked.")
    times.append(now)
    return None


def bearer(call: Call) -> Token | None:
    header = call.request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return call.state.token(value.strip())


def authorize(call: Call, scope: str | None, area: str) -> Response | None:
    """None when the call may proceed (and `call.token` is set), else SFMC's answer (§2).

    Runs before the resource is resolved or the body validated (§2 T6 OBS).
    """
    token = bearer(call)
    if token is None or token.expires_at <= call.state.clock.now():
        return not_authorized()
    host_label = call.request.headers.get("host", "").split(":")[0].split(".")[0].lower()
    if host_label != token.subdomain and host_label in call.state.tenants:
        # §2: a token used on another tenant's host.
        if call.state.options.wrong_tenant_status == 401:
            return not_authorized()
        return error(403, 40002, "Token invalid on this endpoint. Use the stack-level endpoint that matches the token.")
    if scope is not None and scope not in token.scopes:
        if area == "hub" and call.state.options.hub_scope_status == 401:
            return json_response({"documentation": DOC_URL, "errorcode": 0, "message": "Not Authorized"}, 401)
        return insufficient_privileges()
    call.token = token
    call.tenant = call.state.tenants[token.subdomain]
    return None
