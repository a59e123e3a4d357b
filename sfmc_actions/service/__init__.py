"""The composition root: `serve` and `worker` are wired here, and nowhere else.

load.py   a config file into compiled, ready-to-route subscriptions (`load`, `tenant_key`)
run.py    `run_service`: store, target (SFMC or the built-in emulator), client, workers, HTTP, signals
http.py   the HTTP side: the ingest API and /metrics on uvicorn inside the service's event loop
"""
