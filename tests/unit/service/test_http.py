"""The serve port's socket: answers must not wait for the client's delayed ACK (Nagle)."""

from __future__ import annotations

import socket

from sfmc_actions.service.http import bind


def test_accepted_connections_send_without_nagle_delay() -> None:
    listener = bind("127.0.0.1", 0)
    try:
        listener.listen()
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()
