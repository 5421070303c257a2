"""The dashboard page: language choice, words for durations, and the HTML itself.

Pure functions apart from :func:`render`, which fills a Jinja2 template shipped
in ``worker.web/templates`` (found through :mod:`importlib.resources`, never a
repository path). UI text lives in ``static/i18n.json``, one table per language.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jinja2

from worker.model import Contact
from worker.outreach.contacts import rank_dormant
from worker.store.reminders import Reminder
from worker.store.social import SocialPerson
from worker.web.gifts import FAVOURS, gift_views
from worker.words.names import person_label, with_san

__all__ = [
    "LANGUAGES",
    "choose_language",
    "strings",
    "translator",
    "elapsed_words",
    "until_words",
    "static_file",
    "render",
    "page_context",
    "social_views",
]

LANGUAGES = ("en", "ja")
_PACKAGE = "worker.web"
_OPEN = ("pending", "delivered")


def choose_language(accept_language: str | None) -> str:
    """``ja`` or ``en`` from an ``Accept-Language`` header (highest q wins; default ``en``).

    >>> choose_language("ja-JP,ja;q=0.9,en-US;q=0.8")
    'ja'
    >>> choose_language("en-GB,ja;q=0.5")
    'en'
    >>> choose_language("fr-FR, ja;q=0.3")
    'ja'
    >>> choose_language(None)
    'en'
    """
    best, best_q = "en", -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                q = float(match.group(1))
            except ValueError:
                q = 0.0
        if q > best_q and q > 0:
            best, best_q = primary, q - position * 1e-6  # earlier wins a tie
    return best


@functools.cache
def _catalog() -> dict[str, dict[str, str]]:
    text = resources.files(_PACKAGE).joinpath("static", "i18n.json").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def strings(language: str) -> dict[str, str]:
    """Every UI string of ``language`` (English fills any gap)."""
    catalog = _catalog()
    return {**catalog["en"], **catalog.get(language, {})}


def translator(language: str) -> Any:
    """``t("key", name="x")``: the string with ``{name}`` placeholders filled."""
    table = strings(language)

    def t(key: str, **values: object) -> str:
        text = table.get(key, key)
        if "name" in values:  # 山田 太郎さん, Alice Smith さん
            text = text.replace("{name}さん", with_san(str(values["name"])))
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    return t


def _parts(days: int) -> tuple[int, int, int]:
    years, rest = divmod(days, 365)
    months, days = divmod(rest, 30)
    return years, months, days


def _span(days: int, language: str) -> str:
    """``3 years, 2 months`` / ``3年2か月``: the two largest units, rounded down."""
    years, months, rest = _parts(days)
    if language == "ja":
        if years:
            return f"{years}年" + (f"{months}か月" if months else "")
        if months:
            return f"{months}か月"
        return f"{rest}日"

    def unit(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    if years:
        return unit(years, "year") + (f", {unit(months, 'month')}" if months else "")
    if months:
        return unit(months, "month")
    return unit(rest, "day")


def elapsed_words(then: datetime | None, now: datetime, language: str) -> str:
    """How long ago, in words: ``3 years, 2 months ago`` / ``3年2か月前``.

    >>> now = datetime(2026, 3, 1, tzinfo=UTC)
    >>> elapsed_words(datetime(2022, 12, 1, tzinfo=UTC), now, "en")
    '3 years, 3 months ago'
    >>> elapsed_words(datetime(2022, 12, 1, tzinfo=UTC), now, "ja")
    '3年3か月前'
    >>> elapsed_words(datetime(2026, 3, 1, 1, tzinfo=UTC), now, "en")
    'today'
    """
    if then is None:
        return "—"
    days = int((now - then).total_seconds() // 86400)
    if days <= 0:
        return "今日" if language == "ja" else "today"
    return f"{_span(days, language)}前" if language == "ja" else f"{_span(days, language)} ago"


def until_words(when: datetime, now: datetime, language: str) -> str:
    """``in 5 days`` / ``5日後``; once passed, ``today`` / ``今日`` or ``3 days overdue`` / ``3日経過``.

    >>> until_words(datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), "ja")
    '7日後'
    >>> until_words(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC), "en")
    '3 days overdue'
    """
    seconds = (when - now).total_seconds()
    if seconds <= 0:
        late = int(-seconds // 86400)
        if late == 0:
            return "今日" if language == "ja" else "today"
        return (
            f"{_span(late, language)}経過"
            if language == "ja"
            else f"{_span(late, language)} overdue"
        )
    days = max(int(-(-seconds // 86400)), 1)  # round up: "tomorrow" is in 1 day
    if language == "ja":
        return f"{_span(days, language)}後"
    return f"in {_span(days, language)}"


def local_date(value: datetime | None) -> str:
    """``2016-01-05`` in the machine's time zone (the user's: the server is local)."""
    return value.astimezone().date().isoformat() if value is not None else ""


# -- the page ---------------------------------------------------------------------------

#: Contact.status texts (English, from worker.outreach) -> i18n keys.
_STATUS_KEYS = {
    "draft pending": "status.draft-pending",
    "sent, awaiting reply": "status.sent",
    "replied": "status.replied",
}


@dataclass(frozen=True)
class ContactView:
    contact: Contact
    last_contact_words: str
    last_contact_date: str
    status_text: str
    first_contact_date: str
    last_sent_date: str
    last_received_date: str


@dataclass(frozen=True)
class ReminderView:
    reminder: Reminder
    kind_label: str
    status_label: str
    due_date: str
    due_words: str


def _contact_status(status: str, t: Any) -> str:
    if not status:
        return ""
    if status in _STATUS_KEYS:
        return str(t(_STATUS_KEYS[status]))
    match = re.fullmatch(r"declined \(no draft before (\S+)\)", status)
    if match:
        return str(t("status.declined", date=match.group(1)))
    return status


@dataclass(frozen=True)
class SocialView:
    person: SocialPerson
    source_label: str
    since: str  # "Connected on 2024-03-12", or ""
    work: str  # "Head of Design · Globex", or ""
    ambiguity: str  # why it was not matched, or ""


#: The unmatched list is open on the page up to this many people, folded beyond.
SOCIAL_OPEN_UP_TO = 20


def social_views(people: list[SocialPerson], language: str) -> list[SocialView]:
    """People known only from LinkedIn or Facebook, as the page shows them (in the given order)."""
    t = translator(language)

    def ambiguity(p: SocialPerson) -> str:
        if not p.ambiguous:
            return ""
        if len(p.candidates) == 1:  # two people of the export fit one contact
            return str(t("social.ambiguous-people", email=p.candidates[0]))
        return str(t("social.ambiguous-contacts", emails=", ".join(p.candidates)))

    return [
        SocialView(
            person=p,
            source_label=t(f"social.source.{p.source}"),
            since=t(f"social.since.{p.source}", date=p.connected_on.isoformat())
            if p.connected_on
            else "",
            work=" · ".join(x for x in (p.position, p.organization) if x),
            ambiguity=ambiguity(p),
        )
        for p in people
    ]


def page_context(
    contacts: list[Contact],
    reminders: list[Reminder],
    language: str,
    now: datetime | None = None,
    *,
    unmatched: list[SocialPerson] | None = None,
) -> dict[str, object]:
    """What the template needs: ranked dormant contacts, reminders, people only from exports."""
    now = now or datetime.now(UTC)
    t = translator(language)
    ranked = [
        ContactView(
            contact=c,
            last_contact_words=elapsed_words(c.last_contact, now, language),
            last_contact_date=local_date(c.last_contact),
            status_text=_contact_status(c.status, t),
            first_contact_date=local_date(c.first_contact),
            last_sent_date=local_date(c.last_sent),
            last_received_date=local_date(c.last_received),
        )
        for c in rank_dormant(contacts, now)
    ]

    def view(r: Reminder) -> ReminderView:
        return ReminderView(
            reminder=r,
            kind_label=t(f"kind.{r.kind}"),
            status_label=t(f"reminder-status.{r.status}"),
            due_date=local_date(r.due),
            due_words=until_words(r.due, now, language),
        )

    open_ = [r for r in reminders if r.status in _OPEN]
    return {
        "lang": language,
        "t": t,
        "contacts": ranked,
        "due": [view(r) for r in open_ if r.due <= now],
        "upcoming": [view(r) for r in open_ if r.due > now],
        "closed_count": len(reminders) - len(open_),
        "social": social_views(unmatched or [], language),
        "social_open": len(unmatched or []) <= SOCIAL_OPEN_UP_TO,
        "js_strings": {k: v for k, v in strings(language).items() if k.startswith("js.")},
        # gift reminders: what the contact did, and the gift that fits (worker.web.gifts)
        "favours": FAVOURS,
        "gifts": gift_views(open_, language),
    }


@functools.cache
def _environment() -> jinja2.Environment:
    def load(name: str) -> str | None:
        source = resources.files(_PACKAGE).joinpath("templates", name)
        return source.read_text(encoding="utf-8") if source.is_file() else None

    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["person"] = person
    return environment


def person(name: str | None, email: str) -> str:
    """How the page names someone: the person, never their company (:func:`person_label`)."""
    return person_label(name, email)


def render(template: str, **context: object) -> str:
    """Fill one of the shipped templates (``page.html``, ``unauthorized.html``)."""
    return _environment().get_template(template).render(**context)


#: Files served under /static/ and their types: nothing else is ever read.
STATIC_TYPES = {
    "page.js": "text/javascript; charset=utf-8",
    "preview.js": "text/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
    "i18n.json": "application/json",
}


@functools.cache
def static_file(name: str) -> bytes | None:
    """A shipped static file's bytes, or None for any other name."""
    if name not in STATIC_TYPES:
        return None
    return resources.files(_PACKAGE).joinpath("static", name).read_bytes()
