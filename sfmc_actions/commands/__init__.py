"""Bodies of the CLI commands that talk to SFMC, kept out of `cli.py` (a thin list of commands).

data_extensions.py   the `data-extensions` sub-app: list, fields, folders, create (Segment's V2 hook and
                     dynamic fields as commands)
create_spec.py       `data-extensions create` options and spec files into a checked DataExtensionSpec
mapping_tester.py    `test-mapping`: trigger, mapping, validation, the exact request, optionally sent
wire.py              httpx transports that preview or record the requests an action makes
connect.py           which SFMC tenant (or emulator) a command talks to, and its errors as exit codes
output.py            printing: rich on a terminal, `--json` for scripts
"""
