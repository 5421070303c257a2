"""The social tables: people from LinkedIn and Facebook exports, and each source's last import.

``social_people``   one row per exported person (the fields Kizuna uses, nothing more):
                    name (and LinkedIn's first/last), e-mail, organization,
                    position, profile URL, when you connected, the contact it
                    matched (``contact_email``; null when unmatched), the
                    candidates when the name fits several contacts, and when
                    a later import showed a new organization or position.
``social_imports``  per source: how current the export was (``as_of``), when
                    it was imported, and its counts.

An import replaces a source's rows in one transaction (:meth:`Social.replace`):
people are upserted by their identity (the profile URL, else name and date),
and the source's people missing from the new export are deleted, so
importing again updates and never duplicates. :meth:`Social.forget` deletes
a source and overwrites the freed pages (SQLite ``secure_delete``), then
truncates the write-ahead log, so the data does not linger in the file.
Dates are ISO ``YYYY-MM-DD``; ``imported_at`` is a stamp (:mod:`.timecodec`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from worker.model import SocialSource
from worker.store.timecodec import decode_stamp, encode_stamp

if TYPE_CHECKING:
    from worker.store.db import Database

__all__ = ["SocialPerson", "SocialImport", "Link", "Social", "safe_profile_url"]

# A profile link the page may show: LinkedIn's own pages, nothing else (a
# crafted CSV must not put a ``javascript:`` link on the page).
_PROFILE_URL = re.compile(r"https?://([a-z0-9-]+\.)*linkedin\.com/[^\s\"'<>]*", re.IGNORECASE)


def safe_profile_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) link to linkedin.com (made https), else None.

    >>> safe_profile_url("http://www.linkedin.com/in/jane"), safe_profile_url("javascript:x")
    ('https://www.linkedin.com/in/jane', None)
    """
    if not url or not _PROFILE_URL.fullmatch(url.strip()):
        return None
    return "https://" + url.strip().split("://", 1)[1]


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class SocialPerson:
    """One row of ``social_people``: a person from an export, matched or not.

    ``contact_email`` is the contact it matched (lower case), or None;
    ``candidates`` are the contacts an ambiguous name fits (empty otherwise);
    ``role_changed_on`` is the date of the export that first showed the
    current organization or position, when an earlier import had another.
    """

    source: SocialSource
    identity: str
    name: str
    first: str | None = None
    last: str | None = None
    email: str | None = None
    organization: str | None = None
    position: str | None = None
    url: str | None = None
    connected_on: date | None = None
    contact_email: str | None = None
    role_changed_on: date | None = None
    candidates: tuple[str, ...] = field(default=())

    @property
    def ambiguous(self) -> bool:
        """Unmatched because the name fits more than one contact (or person)."""
        return self.contact_email is None and bool(self.candidates)

    @property
    def profile_url(self) -> str | None:
        """The profile link to show, when it is a LinkedIn one."""
        return safe_profile_url(self.url)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SocialPerson:
        return cls(
            source=SocialSource(row["source"]),
            identity=str(row["identity"]),
            name=str(row["name"]),
            first=row["first"],
            last=row["last"],
            email=row["email"],
            organization=row["organization"],
            position=row["position"],
            url=row["url"],
            connected_on=_day(row["connected_on"]),
            contact_email=row["contact_email"],
            role_changed_on=_day(row["role_changed_on"]),
            candidates=tuple(json.loads(row["candidates"] or "[]")),
        )

    def to_json(self) -> dict[str, object]:
        """As ``GET /api/social/unmatched`` (and ``kizuna contact``) show it."""
        return {
            "source": str(self.source),
            "name": self.name,
            "organization": self.organization,
            "position": self.position,
            "url": self.profile_url,
            "connected_on": _iso(self.connected_on),
            "email": self.contact_email,
            "ambiguous": self.ambiguous,
            "candidates": list(self.candidates),
        }


@dataclass(frozen=True, slots=True)
class SocialImport:
    """One row of ``social_imports``: a source's last import."""

    source: SocialSource
    as_of: date | None
    imported_at: datetime
    people: int
    matched: int
    unmatched: int

    @property
    def counts(self) -> dict[str, int]:
        """The contract's ``{"people", "matched", "unmatched"}``."""
        return {"people": self.people, "matched": self.matched, "unmatched": self.unmatched}


@dataclass(frozen=True, slots=True)
class Link:
    """Where a person stands against the contacts: matched to ``email``, or not (``candidates``)."""

    email: str | None
    candidates: tuple[str, ...] = ()


_COLUMNS = (
    "identity, source, name, first, last, email, organization, position, url, "
    "connected_on, contact_email, role_changed_on, candidates"
)


class Social:
    """Every statement on ``social_people`` and ``social_imports``."""

    def __init__(self, db: Database) -> None:
        self.store = db

    # -- reading -------------------------------------------------------------------

    def people(
        self, source: SocialSource | None = None, *, matched: bool | None = None
    ) -> list[SocialPerson]:
        """People of one source (or all), optionally only the (un)matched, by source then name."""
        sql, params = "SELECT * FROM social_people WHERE 1", []
        if source is not None:
            sql += " AND source = ?"
            params.append(str(source))
        if matched is not None:
            sql += " AND contact_email IS NOT NULL" if matched else " AND contact_email IS NULL"
        rows = self.store.query(sql + " ORDER BY source DESC, name COLLATE NOCASE, rowid", params)
        return [SocialPerson.from_row(r) for r in rows]

    def for_contact(self, email: str) -> list[SocialPerson]:
        """The people matched to the contact ``email``, LinkedIn first."""
        rows = self.store.query(
            "SELECT * FROM social_people WHERE contact_email = ? ORDER BY source DESC, rowid",
            (email.strip().lower(),),
        )
        return [SocialPerson.from_row(r) for r in rows]

    def by_contact(self) -> dict[str, list[SocialPerson]]:
        """Every matched person, grouped by contact (LinkedIn first within each)."""
        found: dict[str, list[SocialPerson]] = {}
        for person in self.people(matched=True):
            found.setdefault(person.contact_email or "", []).append(person)
        return found

    def unmatched_count(self) -> int:
        return int(
            self.store.query("SELECT COUNT(*) FROM social_people WHERE contact_email IS NULL")[0][0]
        )

    def any_unmatched(self) -> bool:
        """Whether someone is unmatched: one index probe, for the check after every scan."""
        return bool(
            self.store.query(
                "SELECT EXISTS (SELECT 1 FROM social_people WHERE contact_email IS NULL)"
            )[0][0]
        )

    def imports(self) -> list[SocialImport]:
        """Each source's last import."""
        rows = self.store.query("SELECT * FROM social_imports ORDER BY source DESC")
        return [
            SocialImport(
                source=SocialSource(r["source"]),
                as_of=_day(r["as_of"]),
                imported_at=decode_stamp(r["imported_at"]) or datetime.min.replace(tzinfo=UTC),
                people=int(r["people"]),
                matched=int(r["matched"]),
                unmatched=int(r["unmatched"]),
            )
            for r in rows
        ]

    def last_import(self, source: SocialSource) -> SocialImport | None:
        return next((i for i in self.imports() if i.source == source), None)

    # -- writing -------------------------------------------------------------------

    def replace(
        self,
        source: SocialSource,
        people: Sequence[SocialPerson],
        *,
        as_of: date | None,
        now: datetime | None = None,
    ) -> SocialImport:
        """Make ``people`` (one whole export, matched) the source's rows, in one transaction.

        Rows are upserted by identity; the source's rows not in ``people``
        are deleted. ``role_changed_on`` of a person whose organization or
        position differs from the stored one (``is_new`` decides, in
        :mod:`worker.social`) is set by the caller; a person the caller
        leaves it None for keeps the stored date. Returns the import record.
        """
        if any(p.source != source for p in people):
            raise ValueError(f"every person must come from {source}")
        if len({p.identity for p in people}) != len(people):
            raise ValueError("two people share an identity: make them distinct first")
        matched = sum(p.contact_email is not None for p in people)
        record = SocialImport(
            source=source,
            as_of=as_of,
            imported_at=now or datetime.now(UTC),
            people=len(people),
            matched=matched,
            unmatched=len(people) - matched,
        )
        with self.store.transaction() as db:
            keep = {p.identity for p in people}
            stored = db.execute(
                "SELECT identity FROM social_people WHERE source = ?", (str(source),)
            ).fetchall()
            db.executemany(
                "DELETE FROM social_people WHERE identity = ?",
                [(identity,) for (identity,) in stored if identity not in keep],
            )
            db.executemany(
                f"INSERT INTO social_people ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (identity) DO UPDATE SET name = excluded.name, "
                "first = excluded.first, last = excluded.last, email = excluded.email, "
                "organization = excluded.organization, position = excluded.position, "
                "url = excluded.url, connected_on = excluded.connected_on, "
                "contact_email = excluded.contact_email, candidates = excluded.candidates, "
                "role_changed_on = COALESCE(excluded.role_changed_on, role_changed_on)",
                [_values(p) for p in people],
            )
            db.execute(
                "INSERT OR REPLACE INTO social_imports "
                "(source, as_of, imported_at, people, matched, unmatched) VALUES (?,?,?,?,?,?)",
                (
                    str(source),
                    _iso(as_of),
                    encode_stamp(record.imported_at),
                    record.people,
                    record.matched,
                    record.unmatched,
                ),
            )
        return record

    def relink(self, links: Mapping[str, Link]) -> int:
        """Set each named person's match (``identity -> Link``); how many rows changed.

        Each source's import counts follow, so they always say what the
        state holds.
        """
        changed = 0
        with self.store.transaction() as db:
            for identity, link in links.items():
                email, candidates = link.email, _candidates(link.candidates)
                cur = db.execute(
                    "UPDATE social_people SET contact_email = ?, candidates = ? "
                    "WHERE identity = ? AND (contact_email IS NOT ? OR candidates IS NOT ?)",
                    (email, candidates, identity, email, candidates),
                )
                changed += cur.rowcount
            if changed:
                db.execute(
                    "UPDATE social_imports SET "
                    "matched = (SELECT COUNT(*) FROM social_people p "
                    "  WHERE p.source = social_imports.source AND p.contact_email IS NOT NULL), "
                    "unmatched = (SELECT COUNT(*) FROM social_people p "
                    "  WHERE p.source = social_imports.source AND p.contact_email IS NULL)"
                )
        return changed

    def forget(self, source: SocialSource) -> int:
        """Delete everything from ``source`` and scrub it from the file; how many people went."""
        with self.store.lock:
            secure = self.store.db.execute("PRAGMA secure_delete").fetchone()[0]
            self.store.db.execute("PRAGMA secure_delete = ON")
            try:
                with self.store.transaction() as db:
                    gone = db.execute(
                        "DELETE FROM social_people WHERE source = ?", (str(source),)
                    ).rowcount
                    db.execute("DELETE FROM social_imports WHERE source = ?", (str(source),))
            finally:
                self.store.db.execute(f"PRAGMA secure_delete = {int(secure)}")
            # The old pages live on in the write-ahead log until it is checkpointed.
            try:
                self.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.DatabaseError:
                pass  # a reader holds the log: the next checkpoint will do
        return int(gone)


def _candidates(emails: Iterable[str]) -> str | None:
    found = sorted(emails)
    return json.dumps(found) if found else None


def _values(p: SocialPerson) -> tuple[object, ...]:
    return (
        p.identity,
        str(p.source),
        p.name,
        p.first,
        p.last,
        p.email,
        p.organization,
        p.position,
        p.url,
        _iso(p.connected_on),
        p.contact_email,
        _iso(p.role_changed_on),
        _candidates(p.candidates),
    )
