"""A TCP proxy in front of a real IMAP server that drops the connection in the middle of a FETCH.

:class:`CuttingProxy` listens on a free loopback port and forwards every
connection to the server, byte for byte, until the client sends a command
containing ``FETCH``; then it lets ``cut_after`` more bytes of the server's
answer through and closes both sides, as a server that crashes or a network
that fails mid-response would. Everything before the FETCH (greeting, login,
LIST, STATUS, SEARCH) goes through untouched.

>>> with CuttingProxy("127.0.0.1", 143, cut_after=200) as proxy:  # doctest: +SKIP
...     proxy.port  # point the client here
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Self

from .dovecot import free_port

__all__ = ["CuttingProxy"]


class CuttingProxy:
    """Forwards to ``host:port``; cuts each connection ``cut_after`` bytes into a FETCH answer."""

    def __init__(self, host: str, port: int, *, cut_after: int = 300) -> None:
        self.target = (host, port)
        self.cut_after = cut_after
        self.host = "127.0.0.1"
        self.port = free_port()
        self.cuts = 0  # connections cut so far (tests check the fault really happened)
        self._listener = socket.create_server((self.host, self.port))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name="cutting-proxy", daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.target, timeout=30)
        except OSError:
            client.close()
            return
        fetching = threading.Event()

        def close_both() -> None:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

        def upstream() -> None:  # client -> server; watches for the FETCH
            seen = b""
            with contextlib.suppress(OSError):
                while data := client.recv(65536):
                    seen += data
                    if b"FETCH" in seen.upper():
                        fetching.set()
                    seen = seen[-8:]  # a command split across reads
                    server.sendall(data)
            close_both()

        threading.Thread(target=upstream, daemon=True).start()
        budget = self.cut_after
        with contextlib.suppress(OSError):
            while data := server.recv(65536):
                if fetching.is_set():
                    if len(data) >= budget:
                        client.sendall(data[:budget])
                        with self._lock:
                            self.cuts += 1
                        break
                    budget -= len(data)
                client.sendall(data)
        close_both()
