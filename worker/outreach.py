"""Reconnection drafts: choose whom to write to, write, and never twice.

A reconnection moves through these states (table ``reconnections``):

``appending``  intent recorded, APPEND to Drafts in flight
``pending``    the draft waits in Drafts
``sent``       a message to the contact appeared in a scanned folder
``replied``    the contact answered (see :mod:`worker.replies`)
``declined``   the draft vanished unsent: the user took a pass on it

Crash safety: the intent row is committed before the APPEND, and every run
first reconciles the state with the Kizuna drafts actually in Drafts (found by
their ``X-Kizuna-Id`` header), so an APPEND that succeeded but was never
recorded is found again instead of written twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import imapclient
from imapclient.exceptions import IMAPClientError

from .compose import Draft, Profile, render_reconnection
from .errors import FolderError
from .folders import plan_folders
from .language import choose_language
from .mailbuild import build_draft
from .model import Contact
from .ranking import rank_dormant
from .store import Store, encode_time
from .tone import check_tone

__all__ = ["DraftOutcome", "Skipped", "Outreach", "ACTIVE", "drafts_folder", "append_draft"]

log = logging.getLogger(__name__)

#: States in which a contact already has a reconnection under way.
ACTIVE = ("appending", "pending", "sent")


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
    """A contact not drafted: why (for people) and a stable ``code`` (for programs).

    Codes: ``not-contact``, ``excluded``, ``pending``, ``sent``, ``declined``, ``limit``.
    """

    email: str
    reason: str
    code: str = "other"


def drafts_folder(client: imapclient.IMAPClient) -> str:
    """The Drafts folder by SPECIAL-USE or name; created when truly absent."""
    plan = plan_folders(client.list_folders())
    if plan.drafts:
        return plan.drafts
    try:
        client.create_folder("Drafts")
    except IMAPClientError as exc:
        raise FolderError(
            f"there is no Drafts folder and creating one failed: {exc}", folder="Drafts"
        ) from None
    return "Drafts"


def append_draft(client: imapclient.IMAPClient, folder: str, raw: bytes) -> None:
    """APPEND with ``\\Draft`` (and ``\\Seen``: the user's own text is not unread mail)."""
    try:
        client.append(folder, raw, flags=(b"\\Draft", b"\\Seen"))
    except IMAPClientError as exc:
        raise FolderError(f"cannot save the draft into {folder}: {exc}", folder=folder) from None


def kizuna_drafts_on_server(client: imapclient.IMAPClient, folder: str) -> dict[str, int]:
    """``X-Kizuna-Id`` -> UID of every Kizuna draft in the Drafts folder."""
    client.select_folder(folder, readonly=True)
    try:
        uids = client.search(["HEADER", "X-Kizuna-Id", ""])
        found: dict[str, int] = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            for uid, data in client.fetch(
                chunk, ["BODY.PEEK[HEADER.FIELDS (X-KIZUNA-ID)]"]
            ).items():
                raw = data.get(b"BODY[HEADER.FIELDS (X-KIZUNA-ID)]", b"") or b""
                for line in raw.decode("utf-8", "replace").splitlines():
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "x-kizuna-id" and value.strip():
                        found[value.strip()] = uid
        return found
    finally:
        client.unselect_folder()


class Outreach:
    """Writes reconnection drafts for a :class:`~worker.core.Kizuna`."""

    def __init__(self, kizuna: object) -> None:
        from .core import Kizuna

        assert isinstance(kizuna, Kizuna)
        self.kizuna = kizuna
        self.config = kizuna.config
        self.store: Store = kizuna.store

    # -- state ---------------------------------------------------------------------------

    def rows(self) -> list[dict[str, object]]:
        return [
            dict(r)
            for r in self.store.query(
                "SELECT * FROM reconnections WHERE kind = 'reconnection' ORDER BY created_at"
            )
        ]

    def _set_status(self, rid: str, status: str, **extra: object) -> None:
        sets = ", ".join(["status = ?", "updated_at = ?", *(f"{k} = ?" for k in extra)])
        with self.store.transaction() as db:
            db.execute(
                f"UPDATE reconnections SET {sets} WHERE id = ?",
                (status, datetime.now(UTC).isoformat(), *extra.values(), rid),
            )

    def mark_sent_from_index(self) -> list[str]:
        """Pending drafts that now appear as sent mail in a scanned folder -> ``sent``.

        Same Message-ID, or a message from me to the contact with the same
        subject, dated no earlier than five minutes before the draft was made.
        """
        me = sorted(self.config.me)
        marks = ",".join("?" * len(me))
        done = []
        for row in self.store.query(
            "SELECT id, email, subject, message_id, created_at FROM reconnections "
            "WHERE status = 'pending' AND kind = 'reconnection'"
        ):
            since = encode_time(datetime.fromisoformat(row["created_at"]) - timedelta(minutes=5))
            hit = self.store.query(
                f"""SELECT m.message_id FROM messages m
                    WHERE m.sender IN ({marks}) AND (
                        m.mkey = ? OR (
                            m.subject = ? AND m.tkey >= ?
                            AND EXISTS (SELECT 1 FROM recipients r WHERE r.msg = m.id AND r.email = ?)))
                    LIMIT 1""",
                (*me, row["message_id"], row["subject"], since, row["email"]),
            )
            if hit:
                self._set_status(row["id"], "sent", sent_message_id=hit[0][0] or row["message_id"])
                done.append(row["email"])
        return done

    def reconcile(self, client: imapclient.IMAPClient, folder: str) -> None:
        """Bring the state in line with the Kizuna drafts really in Drafts."""
        on_server = kizuna_drafts_on_server(client, folder)
        self.mark_sent_from_index()
        known = {str(r["id"]): r for r in self.rows()}
        for rid, row in known.items():
            status = row["status"]
            if status == "appending":
                if rid in on_server:
                    self._set_status(rid, "pending")
                else:
                    with self.store.transaction() as db:
                        db.execute("DELETE FROM reconnections WHERE id = ?", (rid,))
            elif status == "pending" and rid not in on_server:
                log.info("draft for %s left Drafts unsent: taking the hint", row["email"])
                self._set_status(rid, "declined")
        for rid in set(on_server) - set(known):
            if not rid.startswith("reconnect-"):
                continue  # a thank-you draft: worker.replies keeps track of those
            log.warning("found a Kizuna draft %s in Drafts that the state did not know", rid)
            self._adopt(client, folder, rid, on_server[rid])

    def _adopt(self, client: imapclient.IMAPClient, folder: str, rid: str, uid: int) -> None:
        from .rules import parse_headers

        client.select_folder(folder, readonly=True)
        try:
            data = client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid, {})
        finally:
            client.unselect_folder()
        facts = parse_headers(data.get(b"BODY[HEADER]", b"") or b"")
        if not facts.recipients:
            return
        now = datetime.now(UTC).isoformat()
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO reconnections (id, email, kind, status, subject, message_id, "
                "language, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    rid,
                    facts.recipients[0].email,
                    "reconnection",
                    "pending",
                    facts.subject,
                    facts.message_id or "",
                    "",
                    now,
                    now,
                ),
            )

    def blocked(self, now: datetime) -> dict[str, tuple[str, bool, str]]:
        """email -> (why no new draft now, whether naming the contact overrides it, code).

        A reconnection under way always blocks; a recently declined one blocks
        only the automatic choice (``kizuna draft --to`` is the user asking).
        """
        reasons: dict[str, tuple[str, bool, str]] = {}
        window = timedelta(days=self.config.policy.declined_days)
        for row in self.rows():
            email, status = str(row["email"]), str(row["status"])
            if status in ACTIVE:
                why = (
                    "reconnection sent, waiting for a reply"
                    if status == "sent"
                    else "a reconnection draft is already pending"
                )
                reasons[email] = (why, False, "sent" if status == "sent" else "pending")
            elif status == "declined" and email not in reasons:
                until = datetime.fromisoformat(str(row["updated_at"])) + window
                if until > now:
                    reasons[email] = (
                        f"you deleted the last draft unsent; not again before {until.date()}",
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
        if emails:
            index = {c.email: c for c in self.kizuna.contacts(now=now)}
            for email in dict.fromkeys(e.strip().lower() for e in emails):
                contact = index.get(email)
                if contact is None:
                    skipped.append(
                        Skipped(email, "not a contact (no personal mail both ways)", "not-contact")
                    )
                elif contact.excluded:
                    skipped.append(Skipped(email, "excluded by policy.exclude", "excluded"))
                elif email in blocked and not blocked[email][1]:
                    skipped.append(Skipped(email, blocked[email][0], blocked[email][2]))
                else:
                    chosen.append(contact)
        else:
            candidates = [
                c for c in self.kizuna.contacts(dormant=True, now=now) if c.email not in blocked
            ]
            chosen = rank_dormant(candidates, now)
        if len(chosen) > limit:
            for contact in chosen[limit:] if emails else ():
                skipped.append(
                    Skipped(contact.email, f"over the limit of {limit} drafts per run", "limit")
                )
            chosen = chosen[:limit]
        return chosen, skipped

    def compose(self, contact: Contact, now: datetime) -> tuple[Draft, list[str]]:
        language = choose_language(self.config.outreach.language, contact)
        draft = render_reconnection(
            contact,
            Profile.of(self.config),
            language,
            now,
            override_dir=self.config.template_override,
        )
        return draft, check_tone(draft.body, language)

    def run(
        self,
        emails: Iterable[str] = (),
        *,
        limit: int | None = None,
        dry_run: bool = False,
        now: datetime | None = None,
    ) -> tuple[list[DraftOutcome], list[Skipped]]:
        """Write drafts (or, with ``dry_run``, only compose them)."""
        now = now or datetime.now(UTC)
        emails = list(emails)
        if dry_run:
            chosen, skipped = self.select(emails, limit, now)
            return [self._outcome(c, now) for c in chosen], skipped
        with self.kizuna.imap() as client:
            folder = drafts_folder(client)
            self.reconcile(client, folder)
            chosen, skipped = self.select(emails, limit, now)
            outcomes = []
            for contact in chosen:
                outcome = self._outcome(contact, now)
                self._write(client, folder, contact, outcome)
                outcomes.append(outcome)
        return outcomes, skipped

    def _outcome(self, contact: Contact, now: datetime) -> DraftOutcome:
        draft, warnings = self.compose(contact, now)
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
        outcome = DraftOutcome(
            contact.email,
            draft.subject,
            str(msg["Message-ID"]),
            draft.language,
            rid,
            draft.body,
            warnings,
        )
        outcome._raw = bytes(msg)  # type: ignore[attr-defined]
        return outcome

    def _write(
        self, client: imapclient.IMAPClient, folder: str, contact: Contact, outcome: DraftOutcome
    ) -> None:
        stamp = datetime.now(UTC).isoformat()
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO reconnections (id, email, kind, status, subject, message_id, language, "
                "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    outcome.kizuna_id,
                    contact.email,
                    "reconnection",
                    "appending",
                    outcome.subject,
                    outcome.message_id,
                    outcome.language,
                    stamp,
                    stamp,
                ),
            )
        append_draft(client, folder, outcome._raw)  # type: ignore[attr-defined]
        self._recorded(outcome.kizuna_id)

    def _recorded(self, rid: str) -> None:
        """The APPEND went through: the draft is pending."""
        self._set_status(rid, "pending")


def status_text(row: dict[str, object], declined_days: int) -> str:
    """A contact's reconnection status for ``kizuna contacts``."""
    status = str(row["status"])
    if status == "declined":
        until = datetime.fromisoformat(str(row["updated_at"])) + timedelta(days=declined_days)
        return f"declined (no draft before {until.date()})"
    return {
        "appending": "draft pending",
        "pending": "draft pending",
        "sent": "sent, awaiting reply",
        "replied": "replied",
    }.get(status, status)
