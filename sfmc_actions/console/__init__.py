"""The web console and JSON admin API, served by `serve` on its own port (DESIGN.md, "Operating it").

context.py   what the wiring hands over (store, config, router, delivery targets, the status report)
auth.py      sessions, CSRF, the token (login and Bearer), loopback rules
reports.py   the data of every page and API answer;  hints.py  what an error means and what to do
api.py       /admin/api/ (JSON);  pages.py  the pages (templates/);  openapi.py  /openapi.json
app.py       the Starlette app
"""

from sfmc_actions.console.app import create_console_app
from sfmc_actions.console.context import ConsoleContext, Target

__all__ = ["ConsoleContext", "Target", "create_console_app"]
