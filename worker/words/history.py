"""History: what past mail with one contact says about the two of you.

:func:`history_facts` takes the messages exchanged with one contact (typed
:class:`PastMessage`: direction, date, subject, body text, sender name) and
returns :class:`HistoryFacts`. Pure: the caller fetches the messages
(read-only, a few each way) and keeps the facts.

``HistoryFacts.to_json()`` is the ``history`` object of
``kizuna contact EMAIL --json``. Its keys:

==================  =============================================================
``messages``        number of messages read (both ways)
``sent``            of which the user sent
``received``        of which the contact sent
``exchanges``       times the conversation changed hands (a message answered by
                    the other side); ``0`` when only one side ever wrote
``first``           date of the earliest message read (ISO 8601) or null
``last``            date of the latest message read (ISO 8601) or null
``last_from``       who wrote last: ``"me"``, ``"them"`` or null
``language``        the language the two of you wrote in, by bodies (``"ja"``,
                    ``"en"``) or null; the user's own bodies decide, then the
                    contact's
``my_language``     language of the user's bodies, or null
``their_language``  language of the contact's bodies, or null
``register``        ``{"formality": "formal"|"casual", "honorific": "様"|"さん"|"先生",
                    "word": "Dear"|"Hi"|"Hello"|null, "name_form": "given"|"family"|
                    "family_san"|"title_family"|"full"|null, "san": bool,
                    "title": "Mr."|"Ms."|...|null, "source": "mine"|"theirs"|
                    "business"|"default", "name": str|null}``, see
                    :class:`~worker.words.register.Register`
``my_greeting``     the user's latest greeting to the contact, or null:
                    ``{"language", "formal", "word", "name", "honorific", "title",
                    "opener", "form"}``
``their_greeting``  the contact's latest greeting to the user, same shape, or null
``organization``    the contact's organization or null, with
``organization_source``  ``"name"`` (display name), ``"signature"`` or null
``domain``          the contact's address domain when it is not a free-mail or
                    mobile domain (gmail, yahoo, docomo, outlook...), else null
``business``        true when business mail: an organization, or a company domain
``name``            the contact's parsed name (see
                    :meth:`~worker.words.names.PersonName.to_json`)
``thread``          the thread with the most messages, or null:
                    ``{"subject": str, "messages": int, "first": iso, "last": iso,
                    "topic": str|null}``; ``topic`` is the subject when it names
                    a topic (:func:`~worker.words.phrasing.topic_of`), else null
``last_subject``    the latest message's subject without prefixes, or ``""``
``topic``           the best topic to recall: the main thread's, else the latest
                    topical subject's; null when no subject names one
==================  =============================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from worker.words.language import bodies_language
from worker.words.names import PersonName, parse_name
from worker.words.phrasing import Topic, normalize_subject, topic_of
from worker.words.register import Greeting, Register, find_greeting, register_from, split_body

__all__ = [
    "Direction",
    "PastMessage",
    "Thread",
    "HistoryFacts",
    "history_facts",
    "is_free_mail",
    "signature_organization",
]


class Direction(StrEnum):
    """Who sent a message: the user (``out``) or the contact (``in``)."""

    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class PastMessage:
    """One past message with the contact, as the history rules need it.

    ``body`` is the decoded plain text (the caller picks text/plain, or
    text/html reduced to text). ``from_name`` is the sender's display name.
    """

    direction: Direction
    date: datetime
    subject: str = ""
    body: str = ""
    from_name: str = ""
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Thread:
    """The thread with the most messages (grouped by normalised subject)."""

    subject: str
    messages: int
    first: datetime
    last: datetime
    topic: Topic | None

    def to_json(self) -> dict[str, object]:
        """The thread as a JSON object."""
        return {
            "subject": self.subject,
            "messages": self.messages,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "topic": self.topic.text if self.topic else None,
        }


@dataclass(frozen=True, slots=True)
class HistoryFacts:
    """What past mail says; see the module docstring for the JSON keys."""

    name: PersonName
    register: Register
    messages: int = 0
    sent: int = 0
    received: int = 0
    exchanges: int = 0
    first: datetime | None = None
    last: datetime | None = None
    last_from: Direction | None = None
    language: str | None = None
    my_language: str | None = None
    their_language: str | None = None
    my_greeting: Greeting | None = None
    their_greeting: Greeting | None = None
    organization: str | None = None
    organization_source: str | None = None
    domain: str | None = None
    thread: Thread | None = None
    last_subject: str = ""
    topic: Topic | None = None

    @property
    def business(self) -> bool:
        """Business mail: an organization is known, or the address is a company's."""
        return self.organization is not None or self.domain is not None

    def to_json(self) -> dict[str, object]:
        """The documented ``history`` object (module docstring)."""
        return {
            "messages": self.messages,
            "sent": self.sent,
            "received": self.received,
            "exchanges": self.exchanges,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "last_from": {Direction.OUT: "me", Direction.IN: "them"}.get(self.last_from)
            if self.last_from
            else None,
            "language": self.language,
            "my_language": self.my_language,
            "their_language": self.their_language,
            "register": self.register.to_json(),
            "my_greeting": self.my_greeting.to_json() if self.my_greeting else None,
            "their_greeting": self.their_greeting.to_json() if self.their_greeting else None,
            "organization": self.organization,
            "organization_source": self.organization_source,
            "domain": self.domain,
            "business": self.business,
            "name": self.name.to_json(),
            "thread": self.thread.to_json() if self.thread else None,
            "last_subject": self.last_subject,
            "topic": self.topic.text if self.topic else None,
        }


# --- organizations -------------------------------------------------------------

# Free-mail, ISP and mobile-carrier domains: an address there says nothing
# about an employer. Matched on the registrable part, so "mail.yahoo.co.jp"
# and "yahoo.fr" count.
_FREE_MAIL = frozenset(
    """
    gmail.com googlemail.com yahoo.com yahoo.co.jp ymail.com rocketmail.com hotmail.com
    hotmail.co.jp hotmail.co.uk outlook.com outlook.jp live.com live.jp msn.com icloud.com
    me.com mac.com aol.com gmx.com gmx.de gmx.net web.de mail.ru yandex.ru yandex.com
    proton.me protonmail.com pm.me tutanota.com zoho.com mail.com fastmail.com fastmail.fm
    hey.com qq.com 163.com 126.com naver.com hanmail.net daum.net
    docomo.ne.jp ezweb.ne.jp au.com softbank.ne.jp i.softbank.jp disney.ne.jp
    willcom.com ymobile.ne.jp y-mobile.ne.jp emobile.ne.jp uqmobile.jp rakuten.jp
    nifty.com nifty.ne.jp biglobe.ne.jp ocn.ne.jp so-net.ne.jp plala.or.jp dion.ne.jp
    excite.co.jp infoseek.jp livedoor.com nifty.jp mineo.jp
    """.split()
)
_FREE_MAIL_BRANDS = ("yahoo.", "hotmail.", "outlook.", "live.", "gmx.", "yandex.", "laposte.")
_EN_ORG_LINE_RE = re.compile(
    r"\b(?:inc|ltd|llc|llp|plc|gmbh|corp|corporation|co\.,? ltd|company|university|institute|"
    r"foundation|k\.k)\b\.?",
    re.IGNORECASE,
)
_JA_ORG_LINE_RE = re.compile(
    r"(?:株式会社|有限会社|合同会社|一般社団法人|一般財団法人|公益社団法人|公益財団法人|"
    r"特定非営利活動法人|学校法人|医療法人|国立大学法人|独立行政法人|（株）|\(株\)|㈱|大学)"
)


def is_free_mail(domain: str) -> bool:
    """True for free-mail, ISP and mobile domains (``gmail.com``, ``docomo.ne.jp``).

    >>> is_free_mail("gmail.com"), is_free_mail("mail.yahoo.co.jp"), is_free_mail("acme.co.jp")
    (True, True, False)
    """
    domain = domain.lower().strip(".")
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        if ".".join(labels[i:]) in _FREE_MAIL:
            return True
    return domain.startswith(_FREE_MAIL_BRANDS) or domain.endswith(".ne.jp")


def signature_organization(signature: str) -> str | None:
    """The organization line of a signature (``株式会社ABC 営業部``, ``Acme Inc.``), or None.

    Only a line that names a company form (株式会社, Inc., GmbH, University...)
    counts; a job title or an address alone does not.

    >>> signature_organization("佐藤花子\\n株式会社XYZ 営業部\\nTel: 03-0000-0000")
    '株式会社XYZ'
    """
    for line in signature.split("\n")[:8]:
        text = " ".join(line.split()).strip("|/-–— ")
        if not text or len(text) > 60 or "@" in text or "http" in text.lower():
            continue
        if _JA_ORG_LINE_RE.search(text):
            # Keep the company, drop a department after it: 株式会社XYZ 営業部.
            parsed = parse_name(text)
            if parsed.organization:
                return parsed.organization
            return text.split()[0]
        if _EN_ORG_LINE_RE.search(text) and not re.search(r"\d{3,}", text):
            # "Head of Design, Acme Inc.": the piece naming the company.
            pieces = [p.strip() for p in re.split(r",\s+(?!(?:ltd|inc|llc)\b)", text, flags=re.I)]
            return next((p for p in pieces if _EN_ORG_LINE_RE.search(p)), text)
    return None


def _domain_of(email: str) -> str | None:
    domain = email.rpartition("@")[2].lower().strip()
    if not domain or "." not in domain or is_free_mail(domain):
        return None
    return domain


# --- facts ---------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _main_thread(messages: Sequence[PastMessage]) -> Thread | None:
    groups: dict[str, list[PastMessage]] = {}
    for message in messages:
        subject = normalize_subject(message.subject)
        if subject:
            groups.setdefault(subject.casefold(), []).append(message)
    if not groups:
        return None
    # Most messages; a tie goes to the more recent thread.
    best = max(groups.values(), key=lambda ms: (len(ms), max(_utc(m.date) for m in ms)))
    dates = [_utc(m.date) for m in best]
    latest = max(best, key=lambda m: _utc(m.date))
    subject = normalize_subject(latest.subject)
    return Thread(subject, len(best), min(dates), max(dates), topic_of(subject))


def history_facts(messages: Sequence[PastMessage], *, email: str, name: str = "") -> HistoryFacts:
    """The facts of a shared history (any order of messages; see the module docstring).

    ``email`` is the contact's address; ``name`` their display name as the
    contact index knows it (the latest ``from_name`` of their messages is
    used when it is empty).

    >>> from datetime import datetime
    >>> facts = history_facts([
    ...     PastMessage(Direction.OUT, datetime(2016, 4, 1), "Berlin conference", "Dear Mr. Smith,\\n..."),
    ...     PastMessage(Direction.IN, datetime(2016, 4, 2), "Re: Berlin conference", "Hi Sam,\\n..."),
    ... ], email="john@acme.com", name="John Smith")
    >>> facts.register.formality.value, facts.topic.text, facts.exchanges, facts.domain
    ('formal', 'Berlin conference', 1, 'acme.com')
    """
    ordered = sorted(messages, key=lambda m: _utc(m.date))
    theirs = [m for m in ordered if m.direction is Direction.IN]
    mine = [m for m in ordered if m.direction is Direction.OUT]
    display = name or next((m.from_name for m in reversed(theirs) if m.from_name), "")
    person = parse_name(display, email)

    my_parts = [split_body(m.body) for m in mine]
    their_parts = [split_body(m.body) for m in theirs]
    my_language = bodies_language([p.text for p in my_parts])
    their_language = bodies_language([p.text for p in their_parts])

    organization, organization_source = person.organization, "name" if person.organization else None
    if organization is None:
        for parts in reversed(their_parts):
            found = signature_organization(parts.signature)
            if found:
                organization, organization_source = found, "signature"
                break
    domain = _domain_of(email)

    register = register_from(
        [m.body for m in mine],
        [m.body for m in theirs],
        person,
        business=organization is not None or domain is not None,
    )
    my_greetings = [g for g in (find_greeting(m.body, person) for m in mine) if g]
    their_greetings = [g for g in (find_greeting(m.body) for m in theirs) if g]

    exchanges = sum(
        1 for a, b in zip(ordered, ordered[1:], strict=False) if a.direction != b.direction
    )
    thread = _main_thread(ordered)
    last_subject = normalize_subject(ordered[-1].subject) if ordered else ""
    topic = thread.topic if thread and thread.topic else None
    if topic is None:
        topic = next((t for t in (topic_of(m.subject) for m in reversed(ordered)) if t), None)
    return HistoryFacts(
        name=person,
        register=register,
        messages=len(ordered),
        sent=len(mine),
        received=len(theirs),
        exchanges=exchanges,
        first=_utc(ordered[0].date) if ordered else None,
        last=_utc(ordered[-1].date) if ordered else None,
        last_from=ordered[-1].direction if ordered else None,
        language=my_language or their_language,
        my_language=my_language,
        their_language=their_language,
        my_greeting=my_greetings[-1] if my_greetings else None,
        their_greeting=their_greetings[-1] if their_greetings else None,
        organization=organization,
        organization_source=organization_source,
        domain=domain,
        thread=thread,
        last_subject=last_subject,
        topic=topic,
    )
