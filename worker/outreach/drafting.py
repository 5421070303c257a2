"""Reconnection drafts: choose whom to write to, write, and never twice.

A reconnection's states are described in :mod:`worker.store.reconnections`.
Crash safety: the intent row is committed before the APPEND, and every run
first reconciles the state with the Kizuna drafts actually in Drafts (found by
their ``X-Kizuna-Id`` header), so an APPEND that succeeded but was never
recorded is found again instead of written twice.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import imapclient

from worker.config import Config
from worker.errors import UsageError
from worker.mail.addresses import is_address
from worker.mail.build import build_draft
from worker.mail.drafts import (
    append_draft,
    drafts_folder,
    fetch_headers_of,
    kizuna_drafts_on_server,
)
from worker.mail.imap import ImapOpener
from worker.mail.rules import parse_headers
from worker.model import Contact
from worker.outreach.compose import (
    Draft,
    Profile,
    kizuna_text,
    reconnection_context,
    render_template,
    template_name,
)
from worker.outreach.contacts import contact_index, rank_dormant
from worker.outreach.history import Histories
from worker.outreach.reasons import pick_reason
from worker.outreach.wording import note_text, skip_text
from worker.social.drafting import role_line
from worker.store import Store
from worker.store.reconnections import (
    ACTIVE,
    ReconnectionKind,
    ReconnectionStatus,
)
from worker.store.timecodec import encode_time
from worker.words.history import HistoryFacts
from worker.words.language import draft_language
from worker.words.tone import check_tone, warning_text

__all__ = ["DraftOutcome", "Skipped", "Outreach"]

log = logging.getLogger(__name__)


@dataclass
class DraftOutcome:
    """One draft written (or, with ``dry_run``, shown)."""

    email: str
    subject: str
    message_id: str
    language: str
    kizuna_id: str
    body: str
    warnings: list[str] = field(default_factory=list)
    #: The whole message as it goes into Drafts.
    raw: bytes = field(default=b"", repr=False)

    def to_json(self, *, body: bool = False) -> dict[str, object]:
        doc: dict[str, object] = {
            "email": self.email,
            "subject": self.subject,
            "message_id": self.message_id,
            "language": self.language,
            "warnings": self.warnings,
        }
        if body:
            doc["body"] = self.body
        return doc


@dataclass(frozen=True)
class Skipped:
    """A contact not drafted: why (for people, in the user's language) and a stable ``code``.

    Codes: ``not-contact``, ``excluded``, ``never``, ``pending``, ``sent``,
    ``declined``, ``limit``.
    """

    email: str
    reason: str
    code: str = "other"


class Outreach:
    """Writes reconnection drafts: what it needs is handed in, never looked up."""

    def __init__(self, config: Config, store: Store, imap: ImapOpener) -> None:
        self.config = config
        self.store = store
        self.imap = imap

    # -- state ---------------------------------------------------------------------------

    def mark_sent_from_index(self) -> list[str]:
        """Pending drafts that now appear as sent mail in a scanned folder -> ``sent``.

        Same Message-ID, or a message from me to the contact with the same
        subject, dated no earlier than five minutes before the draft was made.
        """
        done = []
        table = self.store.reconnections
        for row in table.list(statuses=[ReconnectionStatus.PENDING]):
            hit = self.store.sent_copy(
                self.config.me,
                message_id=row.message_id,
                subject=row.subject,
                to=row.email,
                since=encode_time(row.created_at - timedelta(minutes=5)),
            )
            if hit is not None:
                table.set_status(
                    row.id, ReconnectionStatus.SENT, sent_message_id=hit or row.message_id
                )
                done.append(row.email)
        return done

    def reconcile(self, client: imapclient.IMAPClient, folder: str) -> None:
        """Bring the state in line with the Kizuna drafts really in Drafts."""
        on_server = kizuna_drafts_on_server(client, folder)
        self.mark_sent_from_index()
        table = self.store.reconnections
        known = {r.id: r for r in table.list()}
        for rid, row in known.items():
            if row.status == ReconnectionStatus.APPENDING:
                if rid in on_server:
                    table.set_status(rid, ReconnectionStatus.PENDING)
                else:
                    table.delete(rid)
            elif row.status == ReconnectionStatus.PENDING and rid not in on_server:
                log.info("draft for %s left Drafts unsent: taking the hint", row.email)
                table.set_status(rid, ReconnectionStatus.DECLINED)
        for rid in set(on_server) - set(known):
            if not rid.startswith("reconnect-"):
                continue  # a thank-you draft: worker.followup.replies keeps track of those
            log.warning("found a Kizuna draft %s in Drafts that the state did not know", rid)
            self._adopt(client, folder, rid, on_server[rid])

    def _adopt(self, client: imapclient.IMAPClient, folder: str, rid: str, uid: int) -> None:
        facts = parse_headers(fetch_headers_of(client, folder, uid))
        if not facts.recipients:
            return
        self.store.reconnections.add(
            rid,
            email=facts.recipients[0].email,
            kind=ReconnectionKind.RECONNECTION,
            status=ReconnectionStatus.PENDING,
            subject=facts.subject or "",
            message_id=facts.message_id or "",
            language="",
            if_new=True,
        )

    def blocked(self, now: datetime) -> dict[str, tuple[str, bool, str]]:
        """email -> (why no new draft now, whether naming the contact overrides it, code).

        A reconnection under way always blocks; a recently declined one blocks
        only the automatic choice (``kizuna draft --to`` is the user asking).
        """
        reasons: dict[str, tuple[str, bool, str]] = {}
        window = timedelta(days=self.config.policy.declined_days)
        lang = self.config.user_language
        for row in self.store.reconnections.list():
            email, status = row.email, row.status
            if status in ACTIVE:
                code = "sent" if status == "sent" else "pending"
                reasons[email] = (skip_text(code, lang), False, code)
            elif status == ReconnectionStatus.DECLINED and email not in reasons:
                until = row.updated_at + window
                if until > now:
                    reasons[email] = (
                        skip_text("declined", lang, until=until.date()),
                        True,
                        "declined",
                    )
        return reasons

    # -- drafting ------------------------------------------------------------------------

    def select(
        self, emails: Sequence[str], limit: int | None, now: datetime
    ) -> tuple[list[Contact], list[Skipped]]:
        """Whom to write to: the named contacts, or the top-ranked dormant ones."""
        cap = self.config.outreach.max_drafts_per_run
        limit = cap if limit is None else min(limit, cap)
        blocked = self.blocked(now)
        skipped: list[Skipped] = []
        chosen: list[Contact] = []
        lang = self.config.user_language
        if emails:
            index = {
                c.email: c for c in contact_index(self.config, self.store, now=now, emails=emails)
            }
            never = self.store.notes.never()
            for email in dict.fromkeys(e.strip().lower() for e in emails):
                contact = index.get(email)
                if contact is None:
                    skipped.append(Skipped(email, skip_text("not-contact", lang), "not-contact"))
                elif email in never:
                    skipped.append(Skipped(email, skip_text("never", lang), "never"))
                elif contact.excluded:
                    skipped.append(Skipped(email, skip_text("excluded", lang), "excluded"))
                elif email in blocked and not blocked[email][1]:
                    skipped.append(Skipped(email, blocked[email][0], blocked[email][2]))
                else:
                    chosen.append(contact)
        else:
            dormant = contact_index(self.config, self.store, dormant=True, now=now)
            candidates = [c for c in dormant if c.email not in blocked]
            chosen = rank_dormant(candidates, now)
        if len(chosen) > limit:
            for contact in chosen[limit:] if emails else ():
                skipped.append(
                    Skipped(contact.email, skip_text("limit", lang, limit=limit), "limit")
                )
            chosen = chosen[:limit]
        return chosen, skipped

    def compose(
        self,
        contact: Contact,
        now: datetime,
        *,
        reason: str | None = None,
        facts: HistoryFacts | None = None,
        client: Callable[[], imapclient.IMAPClient] | None = None,
    ) -> tuple[Draft, list[str]]:
        """The draft for ``contact`` and the warnings on it, in the user's language.

        ``reason``: this draft's own reason (else the contact's standing one,
        else the configured one). ``facts``: the shared history, else read
        (kept, or from the server through ``client``).
        """
        if facts is None:
            facts = Histories(self.store, self.config.me).facts(contact, client, now)
        subjects = [s for s in (facts.last_subject, contact.last_subject) if s]
        language = draft_language(
            self.config.outreach.language,
            written=facts.language,
            subjects=subjects,
            name=contact.name,
        )
        profile = Profile.of(self.config)
        standing = self.store.notes.get(contact.email).reason
        chosen, notes = pick_reason(
            language, draft=reason, standing=standing, configured=self.config.outreach.reason
        )
        role = role_line(self.store, contact.email, language, today=now.date())
        context = reconnection_context(
            contact, profile, language, now, facts=facts, reason=chosen, role=role
        )
        override = self.config.template_override
        name = template_name("reconnection", language)
        draft = render_template(name, context, language, override)
        ours = kizuna_text(context, language, override)
        user_language = self.config.user_language
        warnings = [note_text(n, user_language) for n in notes]
        warnings += [
            warning_text(w, user_language)
            for w in check_tone(draft.body, draft.subject, language=language, kizuna_text=ours)
        ]
        return draft, warnings

    def run(
        self,
        emails: Iterable[str] = (),
        *,
        limit: int | None = None,
        dry_run: bool = False,
        now: datetime | None = None,
        reason: str | None = None,
    ) -> tuple[list[DraftOutcome], list[Skipped]]:
        """Write drafts (or, with ``dry_run``, only compose them).

        ``reason`` is the reason for these drafts only (``kizuna draft --to
        EMAIL --reason TEXT``); it needs named contacts.
        """
        now = now or datetime.now(UTC)
        emails = list(emails)
        for email in emails:
            if not is_address(email):  # bad usage (exit 2), not a contact we lack
                raise UsageError(f"{email.strip()!r} is not an e-mail address")
        if reason is not None and reason.strip() and not emails:
            raise UsageError("a reason for this draft only needs the contacts it is for (--to)")
        if dry_run:
            chosen, skipped = self.select(emails, limit, now)
            with contextlib.ExitStack() as stack:
                opened: list[imapclient.IMAPClient] = []

                def client() -> imapclient.IMAPClient:
                    # Only when a history must be read: a preview with kept facts stays offline.
                    if not opened:
                        opened.append(stack.enter_context(self.imap()))
                    return opened[0]

                Histories(self.store, self.config.me).prefetch(chosen, client, now)
                return [self._outcome(c, now, reason, client) for c in chosen], skipped
        with self.imap() as connection:
            folder = drafts_folder(connection)
            self.reconcile(connection, folder)
            chosen, skipped = self.select(emails, limit, now)
            Histories(self.store, self.config.me).prefetch(chosen, lambda: connection, now)
            outcomes = []
            for contact in chosen:
                outcome = self._outcome(contact, now, reason, lambda: connection)
                self._write(connection, folder, contact, outcome)
                outcomes.append(outcome)
        return outcomes, skipped

    def _outcome(
        self,
        contact: Contact,
        now: datetime,
        reason: str | None = None,
        client: Callable[[], imapclient.IMAPClient] | None = None,
    ) -> DraftOutcome:
        draft, warnings = self.compose(contact, now, reason=reason, client=client)
        rid = f"reconnect-{uuid.uuid4()}"
        account = self.config.account
        msg = build_draft(
            from_name=account.display_name,
            from_addr=account.addresses[0],
            to_name=contact.name,
            to_addr=contact.email,
            subject=draft.subject,
            body=draft.body,
            kizuna_id=rid,
            now=now,
        )
        return DraftOutcome(
            contact.email,
            draft.subject,
            str(msg["Message-ID"]),
            draft.language,
            rid,
            draft.body,
            warnings,
            bytes(msg),
        )

    def _write(
        self, client: imapclient.IMAPClient, folder: str, contact: Contact, outcome: DraftOutcome
    ) -> None:
        self.store.reconnections.add(
            outcome.kizuna_id,
            email=contact.email,
            kind=ReconnectionKind.RECONNECTION,
            status=ReconnectionStatus.APPENDING,
            subject=outcome.subject,
            message_id=outcome.message_id,
            language=outcome.language,
        )
        append_draft(client, folder, outcome.raw)
        self._recorded(outcome.kizuna_id)

    def _recorded(self, rid: str) -> None:
        """The APPEND went through: the draft is pending."""
        self.store.reconnections.set_status(rid, ReconnectionStatus.PENDING)
