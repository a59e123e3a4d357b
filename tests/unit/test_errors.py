"""Every exception sfmc-actions raises on purpose derives from SfmcActionsError (errors.py draws the tree);
built-in exceptions are raised only for a caller's programming error or where a protocol asks for them."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
from pathlib import Path

import sfmc_actions
from sfmc_actions.errors import SfmcActionsError

PACKAGE = Path(sfmc_actions.__file__).parent

# Signals raised and caught inside one module or package, never seen by a caller.
INTERNAL = {
    "sfmc_actions.route.fql.lookup.PathError": "only the cause of conditions.Abort",
    "sfmc_actions.route.fql.conditions.Abort": "caught by evaluate.py: the condition is false",
    "sfmc_actions.route.mapping.validate.Invalid": "caught in validate.py, collected as messages",
    "sfmc_actions.route.mapping.liquidjs.lexer.LiquidError": "LiquidJS's error, made a MappingError (liquid.py)",
    "sfmc_actions.route.mapping.liquidjs.render.RenderFailure": "a JavaScript exception in a render, as LiquidError",
    "sfmc_actions.route.payload.checks.Stop": "ends a clause compiled without allErrors (compiler.py)",
    "sfmc_actions.js.json_body._NotForOrjson": "falls back to the exact encoder",
    "sfmc_actions.sfmc.wire.Previewed": "carries test-mapping's previewed request out of the action",
}
# Built-in exceptions raised on purpose: (module, exception) -> why that is right there.
BUILTIN_RAISES = {
    ("cli/create_spec.py", "ValueError"): "caught by data-extensions create (--folder)",
    ("cli/dead_letters.py", "ValueError"): "caught by the --since option",
    ("config.py", "ValueError"): "pydantic validators raise ValueError; loading turns it into ConfigError",
    ("deliver/tenants.py", "ValueError"): "a caller's programming error (limiter arguments)",
    ("deliver/worker_lifecycle.py", "NotImplementedError"): "Worker defines deliver",
    ("deliver/workers.py", "ValueError"): "a caller's programming error (a group of no workers)",
    ("service/load.py", "KeyError"): "a caller's programming error (a destination the config lacks)",
    ("ingest/webhook.py", "RuntimeError"): "a caller's programming error (signing without a secret)",
    ("ingest/json_text.py", "ValueError"): "json.loads's parse_constant hook refusing NaN; caught in json_text.loads",
    ("js/json.py", "ValueError"): "JSON.parse's SyntaxError, as json.loads raises it; caught by @json",
    ("js/values.py", "ValueError"): "parse_constant refusing NaN/Infinity; parse_json re-raises it as orjson's",
    ("route/mapping/liquidjs/lexer.py", "TypeError"): "the JavaScript TypeError LiquidJS throws there, as MappingError",
    ("queue/postgres_store.py", "TypeError"): "a caller's programming error (not a job outcome)",
    ("queue/history.py", "ValueError"): "a caller's programming error (a quantile outside (0, 1], an unbuffered count)",
    ("queue/sqlite_history.py", "ValueError"): "a caller's programming error (a series step not in whole minutes)",
    ("queue/postgres_history.py", "ValueError"): "a caller's programming error (a series step not in whole minutes)",
    ("queue/sqlite_store.py", "TypeError"): "a caller's programming error (not a job outcome)",
    ("queue/rows.py", "TypeError"): "a caller's programming error (a payload that is not JSON)",
    ("queue/postgres_tokens.py", "TimeoutError"): "the refresh lock's wait ran out, as asyncio.timeout says it",
    ("queue/sqlite_tokens.py", "TimeoutError"): "the refresh lock's wait ran out, as asyncio.timeout says it",
    ("queue/retry.py", "ValueError"): "a caller's programming error (policy arguments)",
    ("route/fql/generate.py", "ValueError"): "a caller's programming error (an AST FQL cannot express)",
    ("route/payload/validator.py", "ValueError"): "a caller's programming error (the mode)",
    ("sfmc/auth.py", "RuntimeError"): "a caller's programming error (not an httpx.AsyncClient)",
    ("sfmc/client.py", "ValueError"): "a caller's programming error (a target not built by an action)",
    ("sfmc/client.py", "AssertionError"): "unreachable",
    ("sfmc/actions/row_delete.py", "NotImplementedError"): "the data extension action mixing it in defines target",
    ("sfmc/actions/audience_exit.py", "ValueError"): "a caller's programming error (one exit flag per payload)",
    ("sfmc/journey_status.py", "ValueError"): "a caller's programming error (the status endpoint needs a filter)",
}


def test_every_exception_class_derives_from_sfmc_actions_error() -> None:
    found = set()
    for info in pkgutil.walk_packages([str(PACKAGE)], "sfmc_actions."):
        if info.name == "sfmc_actions.__main__":
            continue  # runs the CLI
        if info.name.startswith("sfmc_actions.emulator"):
            continue  # independent of the client: starting it turns its errors into StartError / EmulatorStartError
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == info.name:
                found.add(f"{cls.__module__}.{cls.__qualname__}")
                if not issubclass(cls, SfmcActionsError):
                    assert f"{cls.__module__}.{cls.__qualname__}" in INTERNAL, cls
    assert set(INTERNAL) <= found
    assert {"sfmc_actions.cli.send.SendFailed", "sfmc_actions.sfmc.soap.SoapFault"} <= found


def test_built_in_exceptions_are_raised_only_where_listed() -> None:
    raised = set()
    for path in PACKAGE.rglob("*.py"):
        where = path.relative_to(PACKAGE).as_posix()
        if where.startswith("emulator/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), where)):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                kind = getattr(builtins, exc.id, None) if isinstance(exc, ast.Name) else None
                if isinstance(kind, type) and issubclass(kind, BaseException):
                    raised.add((where, kind.__name__))
    assert raised - set(BUILTIN_RAISES) == set()
    assert set(BUILTIN_RAISES) - raised == set()  # the list stays current
