"""The local API and dashboard page as a Starlette application.

This module is long because each route is a small handler next to its
checks; the work is in :class:`worker.core.Kizuna`.

Routes (every one behind :class:`~worker.web.guard.Guard`; see ``CONTRACT.md``, "Local API and page"):

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
``GET  /api/social/unmatched`` people from LinkedIn/Facebook exports matching no contact:
                               ``[{"source", "name", "organization", "position", "url",
                               "connected_on", "email", "ambiguous", "candidates"}]``
                               or ``{"favour": "reply"|"call"|"advice"|"introduction"|"work"}``
                               (a gift reminder: what they did; the answer carries the
                               ``gift`` suggestion that follows it)
``POST /api/tone``             ``{"text", "subject"?}``: ``{"warnings": [...]}``, as
                               ``draft --json`` words them (``[account] language``)

Errors are JSON ``{"error": "..."}``: 400 bad body, 401 no or wrong token, 403
not loopback / foreign Host or Origin, 404 unknown reminder or path, 502 the
mail server failed, 500 any other Kizuna error.

Each request runs on its own :class:`~worker.core.Kizuna` (``kizuna_factory()``,
closed afterwards) in Starlette's thread pool: imapclient and SQLite block, the
event loop must not. Drafting and reminder changes are serialised by one lock so
two clicks cannot race past the "never a second draft" check.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from worker.errors import KizunaError, MailServerError, NotFound, RequestError, UsageError
from worker.outreach.drafting import Skipped
from worker.store.reminders import USER_STATUSES, Reminder, Reminders
from worker.web import page
from worker.web.auth import COOKIE_NAME, session_value, token_matches
from worker.web.gifts import gift_json
from worker.web.guard import Guard, error_response
from worker.words.gifts import Favour
from worker.words.tone import check_tone, warning_text

__all__ = ["create_app", "KizunaFactory"]

log = logging.getLogger(__name__)

KizunaFactory = Callable[[], Any]  # () -> worker.core.Kizuna (a fresh one; the app closes it)
T = TypeVar("T")

MAX_BODY = 64 * 1024
MAX_SNOOZE_DAYS = 3650
MAX_TONE_TEXT = 20_000  # characters: a long mail; the checker is linear, this bounds the work
_EMAIL = re.compile(r"[^\s@<>()\",;:]+@[^\s@<>()\",;:]+")


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
        contacts, reminders, unmatched = await call(
            lambda k: (k.contacts(dormant=True), k.reminders(), k.social_unmatched())
        )
        html = page.render(
            "page.html", **page.page_context(contacts, reminders, language, unmatched=unmatched)
        )
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
        if "favour" in doc:
            return await reminder_favour(rid, doc)
        status, days = doc.get("status"), doc.get("snooze_days")
        if (status is None) == (days is None):
            raise RequestError(400, 'the body needs "status", "snooze_days" or "favour"')
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

    async def social_unmatched(request: Request) -> Response:
        """People from LinkedIn or Facebook exports that match no contact (nothing is drafted)."""
        found = await call(lambda k: k.social_unmatched())
        return JSONResponse([p.to_json() for p in found])

    async def reminder_favour(rid: int, doc: dict[str, Any]) -> Response:
        """What the contact did, for a gift reminder; answers with the gift that fits it."""
        favour, language = doc.get("favour"), doc.get("language")
        if set(doc) - {"favour", "language"}:
            raise RequestError(400, '"favour" goes alone (with an optional "language")')
        if favour not in tuple(Favour):
            raise RequestError(400, f'"favour" must be one of {", ".join(Favour)}')
        if language is not None and language not in page.LANGUAGES:
            raise RequestError(400, '"language" must be "en" or "ja"')

        def change(k: Any) -> tuple[Reminder, str]:
            reminders = Reminders(k.store, keep_in_touch_days=k.config.reminders.keep_in_touch_days)
            try:
                updated = reminders.set_favour(rid, str(favour))
            except NotFound:
                raise
            except UsageError as exc:  # not a gift reminder: the request is wrong, not Kizuna
                raise RequestError(400, str(exc)) from None
            return updated, language or k.config.user_language

        updated, lang = await call(change, locked=True)
        return JSONResponse({**updated.to_json(), "gift": gift_json(updated, lang)})

    async def tone(request: Request) -> Response:
        doc = await body(request)
        text, subject = doc.get("text"), doc.get("subject")
        if not isinstance(text, str):
            raise RequestError(400, 'the body needs "text": the text to check')
        if subject is not None and not isinstance(subject, str):
            raise RequestError(400, '"subject" must be a string when given')
        if len(text) + len(subject or "") > MAX_TONE_TEXT:
            raise RequestError(
                413, f"the text is too long to check (over {MAX_TONE_TEXT} characters)"
            )
        # the config only: the checker is pure, no store or server is touched
        language = await call(lambda k: k.config.user_language)
        found = check_tone(text, subject or None)
        return JSONResponse({"warnings": [warning_text(w, language) for w in found]})

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestError)
        return error_response(exc.status, str(exc), **exc.extra)

    async def kizuna_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, MailServerError):
            log.warning("local API: %s %s: %s", request.method, request.url.path, exc)
            return error_response(502, str(exc))
        if isinstance(exc, NotFound):
            return error_response(404, str(exc))
        log.warning("local API: %s %s: %s", request.method, request.url.path, exc)
        return error_response(500, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # 404 unknown path, 405 wrong method
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=dict(exc.headers or {})
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("local API: %s %s failed", request.method, request.url.path)
        return error_response(500, f"internal error ({type(exc).__name__}); see the daemon's log")

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
            Route("/api/social/unmatched", social_unmatched, methods=["GET"]),
            Route("/api/tone", tone, methods=["POST"]),
        ],
        middleware=[Middleware(Guard, token=token, port=port)],
        exception_handlers=handlers,
    )
