"""The gate in front of every route: loopback clients, our own Host, a token or cookie; CORS for the add-on.

Pure ASGI middleware, so it also covers 404s, static files and the 401s it
sends itself, and it stamps every response with the security headers.
"""

from __future__ import annotations

import ipaddress
import re
from http.cookies import SimpleCookie

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from worker.web import page
from worker.web.auth import COOKIE_NAME, session_value, token_matches

__all__ = ["Guard", "error_response", "is_loopback", "SECURITY_HEADERS", "LOOPBACK_NAMES"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_EXTENSION_ORIGIN = re.compile(r"moz-extension://[A-Za-z0-9-]+")

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


def error_response(status: int, message: str, **extra: object) -> JSONResponse:
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
            await error_response(403, "the Kizuna API answers loopback clients only")(
                scope, receive, send_wrapped
            )
            return
        if headers.get("host", "").lower() not in self.allowed_hosts(scope):
            # DNS rebinding: a web page under another name must not reach us.
            await error_response(403, "unexpected Host header; use http://127.0.0.1:<port>/")(
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
            await error_response(403, "cross-origin request refused")(scope, receive, send_wrapped)
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
            return error_response(
                403, "cross-origin requests are allowed from the Kizuna add-on only"
            )
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
            return error_response(
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
