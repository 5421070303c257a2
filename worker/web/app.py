"""The local API and dashboard page as a Starlette application.

This module is long because each route is a small handler next to its
checks; the work is in :class:`worker.core.Kizuna`.

Routes (every one behind :class:`Guard`; see ``CONTRACT.md``, "Local API and page"):

``GET  /login?token=T``        sets the session cookie, redirects to ``/``
``GET  /``                     the dashboard page (Japanese or English by Accept-Language)
``GET  /static/<file>``        page.js, page.css, i18n.json
``GET  /api/contacts``         ``?dormant=true``: as ``kizuna contacts [--dormant] --json``
``GET  /api/reminders``        as ``kizuna reminders --json`` (each with ``id``)
``POST /api/drafts``           ``{"email", "dry_run"?, "reason"?}``: 200 with the draft's
                               ``email, subject, body, language, warnings`` at the top and
                               under ``"draft"``, ``"status": "drafted"|"preview"``; or 409
                               ``{"status": "skipped", "reason", "code"}``
``GET  /api/contacts/<email>`` as ``kizuna contact EMAIL --json`` (reason, never, history)
``POST /api/contacts/<email>`` ``{"reason"?, "never"?}``: store them, answer as the GET
``POST /api/reminders/<id>``   ``{"status": "done"|"dismissed"}`` or ``{"snooze_days": N}``

Errors are JSON ``{"error": "..."}``: 400 bad body, 401 no or wrong token, 403
not loopback / foreign Host or Origin, 404 unknown reminder or path, 502 the
mail server failed, 500 any other Kizuna error.

Each request runs on its own :class:`~worker.core.Kizuna` (``kizuna_factory()``,
closed afterwards) in Starlette's thread pool: imapclient and SQLite block, the
event loop must not. Drafting and reminder changes are serialised by one lock so
two clicks cannot race past the "never a second draft" check.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from worker.errors import KizunaError, MailServerError, NotFound, RequestError
from worker.outreach.drafting import Skipped
from worker.store.reminders import USER_STATUSES
from worker.web import page
from worker.web.auth import COOKIE_NAME, session_value, token_matches

__all__ = ["create_app", "Guard", "KizunaFactory"]

log = logging.getLogger(__name__)

KizunaFactory = Callable[[], Any]  # () -> worker.core.Kizuna (a fresh one; the app closes it)
T = TypeVar("T")

MAX_BODY = 64 * 1024
MAX_SNOOZE_DAYS = 3650
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_EXTENSION_ORIGIN = re.compile(r"moz-extension://[A-Za-z0-9-]+")
_EMAIL = re.compile(r"[^\s@<>()\",;:]+@[^\s@<>()\",;:]+")

SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
]


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


# -- the guard ------------------------------------------------------------------------


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Guard:
    """Loopback clients only, our own Host only, a valid token or cookie; CORS for the add-on.

    Pure ASGI middleware, so it also covers 404s, static files and the 401s it
    sends itself, and stamps every response with the security headers.

    Why not Starlette's ``TrustedHostMiddleware`` and ``CORSMiddleware``: the
    first compares the host name only, so ``127.0.0.1:<another port>`` would
    pass, and answers 400; the second answers a refused preflight with 400
    and, wrapped outside this guard, would answer preflights before the
    loopback check. The add-on and the tests rely on the port being pinned
    and on 403 for every refusal, so the three checks stay here, together.
    """

    def __init__(self, app: ASGIApp, token: str, port: int | None = None) -> None:
        self.app = app
        self.token = token
        self.session = session_value(token)
        self.port = port

    def allowed_hosts(self, scope: Scope) -> set[str]:
        port = self.port or (scope.get("server") or ("", 0))[1]
        hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
        if port == 80:
            hosts.update(LOOPBACK_NAMES)
        return hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path: str = scope["path"]
        origin = headers.get("origin")
        cors = (
            path.startswith("/api/")
            and origin is not None
            and bool(_EXTENSION_ORIGIN.fullmatch(origin))
        )

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(SECURITY_HEADERS)
                if cors and origin is not None:
                    extra += [
                        (b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"vary", b"Origin"),
                    ]
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in names
                ]
            await send(message)

        client = scope.get("client")
        if not is_loopback(client[0] if client else None):
            await _error(403, "the Kizuna API answers loopback clients only")(
                scope, receive, send_wrapped
            )
            return
        if headers.get("host", "").lower() not in self.allowed_hosts(scope):
            # DNS rebinding: a web page under another name must not reach us.
            await _error(403, "unexpected Host header; use http://127.0.0.1:<port>/")(
                scope, receive, send_wrapped
            )
            return
        if scope["method"] == "OPTIONS":
            await self.preflight(cors)(scope, receive, send_wrapped)
            return
        if path == "/login":
            await self.app(scope, receive, send_wrapped)
            return
        bearer = headers.get("authorization", "")
        scheme, _, credentials = bearer.partition(" ")
        by_bearer = scheme.lower() == "bearer" and token_matches(credentials.strip(), self.token)
        by_cookie = not by_bearer and token_matches(self.cookie(headers), self.session)
        if not (by_bearer or by_cookie):
            await self.unauthorized(path, headers)(scope, receive, send_wrapped)
            return
        if (
            by_cookie
            and scope["method"] not in ("GET", "HEAD")
            and origin is not None
            and origin.lower() not in {f"http://{h}" for h in self.allowed_hosts(scope)}
        ):
            # The cookie is SameSite=Strict already; a foreign Origin is refused anyway.
            await _error(403, "cross-origin request refused")(scope, receive, send_wrapped)
            return
        await self.app(scope, receive, send_wrapped)

    @staticmethod
    def cookie(headers: Headers) -> str | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header is simply no cookie
            return None
        morsel = jar.get(COOKIE_NAME)
        return morsel.value if morsel else None

    @staticmethod
    def preflight(cors: bool) -> Response:
        if not cors:
            return _error(403, "cross-origin requests are allowed from the Kizuna add-on only")
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
            },
        )

    @staticmethod
    def unauthorized(path: str, headers: Headers) -> Response:
        if path.startswith("/api/") or "text/html" not in headers.get("accept", "text/html"):
            return _error(
                401,
                "missing or wrong token: send 'Authorization: Bearer <token>' "
                "(the token is in the state directory's api-token file)",
            )
        language = page.choose_language(headers.get("accept-language"))
        html = page.render("unauthorized.html", lang=language, t=page.translator(language))
        # Self-contained (its styles inline): /static/ itself needs a session.
        return HTMLResponse(
            html,
            status_code=401,
            headers={
                "Content-Security-Policy": (
                    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                    "form-action 'none'; frame-ancestors 'none'"
                )
            },
        )


# -- the application ------------------------------------------------------------------


def create_app(kizuna_factory: KizunaFactory, token: str, *, port: int | None = None) -> Starlette:
    """The API and page, for ``kizuna_factory()`` (a fresh Kizuna per call) and ``token``.

    ``port`` pins the port that Host headers must name; by default the port the
    request came in on (so port 0 in tests just works).
    """
    if not token:
        raise ValueError("the API needs a token")
    write_lock = threading.Lock()

    async def call(work: Callable[[Any], T], *, locked: bool = False) -> T:
        def run() -> T:
            kizuna = kizuna_factory()
            try:
                if locked:
                    with write_lock:
                        return work(kizuna)
                return work(kizuna)
            except (RequestError, KizunaError):
                raise
            except Exception as exc:
                # Logged here, answered as JSON: never a bare traceback page.
                log.exception("local API: %s failed", getattr(work, "__name__", "request"))
                raise RequestError(
                    500, f"internal error ({type(exc).__name__}); see the daemon's log"
                ) from exc
            finally:
                kizuna.close()

        return await run_in_threadpool(run)

    async def body(request: Request) -> dict[str, Any]:
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            raise RequestError(413, "request body too large")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise RequestError(413, "request body too large")
        try:
            doc = json.loads(raw or b"null")
        except ValueError:
            raise RequestError(400, "the body is not valid JSON") from None
        if not isinstance(doc, dict):
            raise RequestError(400, "the body must be a JSON object")
        return doc

    async def login(request: Request) -> Response:
        if not token_matches(request.query_params.get("token"), token):
            return Guard.unauthorized("/", request.headers)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE_NAME, session_value(token), httponly=True, samesite="strict", path="/"
        )
        return response

    async def dashboard(request: Request) -> Response:
        language = page.choose_language(request.headers.get("accept-language"))
        contacts, reminders = await call(lambda k: (k.contacts(dormant=True), k.reminders()))
        html = page.render("page.html", **page.page_context(contacts, reminders, language))
        return HTMLResponse(html)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        data = page.static_file(name)
        if data is None:
            raise RequestError(404, f"no such file: {name}")
        return Response(data, media_type=page.STATIC_TYPES[name])

    async def contacts(request: Request) -> Response:
        flag = request.query_params.get("dormant", "false").lower()
        if flag not in ("true", "false", "1", "0", ""):
            raise RequestError(400, "dormant must be true or false")
        dormant = flag in ("true", "1")
        found = await call(lambda k: k.contacts(dormant=dormant))
        return JSONResponse([c.to_json() for c in found])

    async def reminders(request: Request) -> Response:
        found = await call(lambda k: k.reminders())
        return JSONResponse([r.to_json() for r in found])

    async def drafts(request: Request) -> Response:
        doc = await body(request)
        email = doc.get("email")
        if not isinstance(email, str) or not _EMAIL.fullmatch(email.strip()):
            raise RequestError(400, 'the body needs "email": an address')
        email = email.strip().lower()
        dry_run = doc.get("dry_run", False)
        reason = doc.get("reason")
        if not isinstance(dry_run, bool):
            raise RequestError(400, '"dry_run" must be true or false')
        if reason is not None and not isinstance(reason, str):
            raise RequestError(400, '"reason" must be a string')
        outcomes, skipped = await call(
            lambda k: k.draft([email], dry_run=dry_run, reason=reason), locked=True
        )
        if outcomes:
            made = outcomes[0].to_json(body=True)
            # The draft's fields at the top (the add-on reads them there) and under "draft".
            return JSONResponse(
                {**made, "status": "preview" if dry_run else "drafted", "draft": made}
            )
        skip = skipped[0] if skipped else Skipped(email, "nothing to draft")
        return JSONResponse(
            {"status": "skipped", "email": email, "reason": skip.reason, "code": skip.code},
            status_code=409,
        )

    # -- one contact: reason, never, history (issue 15) ---------------------------------

    async def one_contact(request: Request) -> Response:
        email = request.path_params["email"].strip().lower()
        if not _EMAIL.fullmatch(email):
            raise RequestError(400, "not an address")
        found = await call(lambda k: k.contact(email), locked=True)
        if found is None:
            raise RequestError(404, f"{email} is not a contact")
        return JSONResponse(found)

    async def change_contact(request: Request) -> Response:
        email = request.path_params["email"].strip().lower()
        if not _EMAIL.fullmatch(email):
            raise RequestError(400, "not an address")
        doc = await body(request)
        reason, never = doc.get("reason"), doc.get("never")
        if reason is not None and not isinstance(reason, str):
            raise RequestError(400, '"reason" must be a string ("" clears it)')
        if never is not None and not isinstance(never, bool):
            raise RequestError(400, '"never" must be true or false')
        found = await call(
            lambda k: k.contact(email, reason=reason, never=never, read_history=False),
            locked=True,
        )
        if found is None:
            raise RequestError(404, f"{email} is not a contact")
        return JSONResponse(found)

    async def reminder(request: Request) -> Response:
        raw_id = request.path_params["id"]
        if not raw_id.isdigit():
            raise RequestError(404, f"there is no reminder with id {raw_id}")
        rid = int(raw_id)
        doc = await body(request)
        status, days = doc.get("status"), doc.get("snooze_days")
        if (status is None) == (days is None):
            raise RequestError(400, 'the body needs either "status" or "snooze_days"')
        if status is not None and status not in USER_STATUSES:
            raise RequestError(400, f'"status" must be {" or ".join(USER_STATUSES)}')
        if days is not None and (
            isinstance(days, bool)
            or not isinstance(days, int | float)
            or not 0 <= days <= MAX_SNOOZE_DAYS
        ):
            raise RequestError(400, f'"snooze_days" must be a number from 0 to {MAX_SNOOZE_DAYS}')
        snooze = float(days) if days is not None else 0.0

        def change(k: Any) -> Any:
            if status is not None:
                return k.set_reminder_status(rid, status)
            return k.snooze_reminder(rid, snooze)

        updated = await call(change, locked=True)
        return JSONResponse(updated.to_json())

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestError)
        return _error(exc.status, str(exc), **exc.extra)

    async def kizuna_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, MailServerError):
            log.warning("local API: %s %s: %s", request.method, request.url.path, exc)
            return _error(502, str(exc))
        if isinstance(exc, NotFound):
            return _error(404, str(exc))
        log.warning("local API: %s %s: %s", request.method, request.url.path, exc)
        return _error(500, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # 404 unknown path, 405 wrong method
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=dict(exc.headers or {})
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("local API: %s %s failed", request.method, request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); see the daemon's log")

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        RequestError: api_error,
        KizunaError: kizuna_error,
        HTTPException: http_error,
        Exception: unexpected,
    }
    return Starlette(
        routes=[
            Route("/login", login, methods=["GET"]),
            Route("/", dashboard, methods=["GET"]),
            Route("/static/{name}", static, methods=["GET"]),
            Route("/api/contacts", contacts, methods=["GET"]),
            Route("/api/reminders", reminders, methods=["GET"]),
            Route("/api/drafts", drafts, methods=["POST"]),
            Route("/api/contacts/{email}", one_contact, methods=["GET"]),
            Route("/api/contacts/{email}", change_contact, methods=["POST"]),
            Route("/api/reminders/{id}", reminder, methods=["POST"]),
        ],
        middleware=[Middleware(Guard, token=token, port=port)],
        exception_handlers=handlers,
    )
