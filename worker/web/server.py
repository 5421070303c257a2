"""Serve the local API with uvicorn in a background thread (a daemon ``Service``).

With a loaded ``config``::

    service = WebService(config, lambda: Kizuna(config))
    service.start()
    service.port  # 8765
    service.stop()

The socket is bound here, before uvicorn starts, so that a port in use is a
clear :class:`~worker.errors.UsageError` raised by :meth:`WebService.start`
(uvicorn would ``sys.exit`` inside its thread) and port 0 yields the real port
at once. Only loopback addresses are accepted. Access logging is off: the
``/login?token=...`` URL must never land in a log.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

from worker.errors import UsageError
from worker.web.app import KizunaFactory, create_app
from worker.web.auth import load_or_create_token

if TYPE_CHECKING:
    from worker.config import Config

__all__ = ["WebService"]

log = logging.getLogger(__name__)

STOP_TIMEOUT = 3.0


class _ThreadServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone (the daemon owns them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # uvicorn >= 0.29
        yield

    def install_signal_handlers(self) -> None:  # older uvicorn
        return None


class WebService:
    """The local API and page on ``http://127.0.0.1:<port>/`` while the daemon runs."""

    def __init__(
        self,
        config: Config,
        kizuna_factory: KizunaFactory,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise UsageError(f"the local API listens on a loopback address only, not {host!r}")
        self.config = config
        self.host = host
        self._requested_port = config.api.port if port is None else port
        self.token = load_or_create_token(config.state_dir)
        self.app = create_app(kizuna_factory, self.token)
        self._socket: socket.socket | None = None
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None
        self._bound_port = 0

    @property
    def port(self) -> int:
        """The bound port (the real one when started with port 0)."""
        return self._bound_port or self._requested_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
            sock.listen(64)
        except OSError as exc:
            sock.close()
            raise UsageError(
                f"cannot listen on {self.host}:{self._requested_port} for the local API: "
                f"{exc.strerror or exc} (set [api] port, or enabled = false)"
            ) from None
        sock.setblocking(False)
        return sock

    def start(self, timeout: float = 10.0) -> None:
        """Bind, serve in a background thread, and return once it accepts connections."""
        if self._thread is not None:
            return
        self._socket = self._bind()
        self._bound_port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            log_config=None,
            lifespan="off",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=2,
            ws="none",
        )
        self._server = _ThreadServer(config)
        self._thread = threading.Thread(target=self._serve, name="kizuna-web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise UsageError(
                    f"the local API did not start on {self.host}:{self._requested_port}"
                )
            time.sleep(0.02)
        log.info(
            "local API on http://127.0.0.1:%d/ (kizuna dashboard prints the login link)", self.port
        )

    def _serve(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException:  # SystemExit from uvicorn included: the thread must not die silently
            log.exception("the local API stopped with an error")

    def stop(self) -> None:
        """Stop serving (within a few seconds, cutting off requests still running)."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(STOP_TIMEOUT)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(STOP_TIMEOUT)
            if thread.is_alive():
                log.warning("the local API thread did not stop in time")
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
        self._server = self._thread = None
        self._socket = None

    def __enter__(self) -> WebService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
