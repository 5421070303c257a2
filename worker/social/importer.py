"""Bringing a social export into the state: read it whole, match it, store it in one step.

:func:`import_export` reads the file with the pure readers
(:func:`~worker.social.read_linkedin`, :func:`~worker.social.read_facebook`),
matches its people to the contacts (:func:`~worker.social.match_people`,
against every name seen in mail for each contact address), and replaces that
source's rows in one transaction (:meth:`worker.store.social.Social.replace`).
A file that is not such an export raises
:class:`~worker.social.NotAnExport` before anything is written.

:func:`relink` runs after each scan: people who had no address may have one
now. It costs one small query when nothing could have changed (no unmatched
people, or the same messages and rules as last time).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from worker.config import Config
from worker.errors import StateLocked
from worker.social.facebook import read_facebook
from worker.social.linkedin import read_linkedin
from worker.social.match import MatchResult, match_people
from worker.social.people import Export, Person, Progress, Source
from worker.social.recency import is_new_role
from worker.store import Store
from worker.store.social import Link, SocialPerson

__all__ = ["import_export", "relink", "forget", "RELINK_KEY"]

log = logging.getLogger(__name__)

#: ``meta`` key: the messages' version and rules the links were last computed against.
RELINK_KEY = "social_linked"


def _read(source: Source, path: str | Path, progress: Progress | None) -> Export:
    if source is Source.LINKEDIN:
        return read_linkedin(path, progress=progress)
    return read_facebook(path, progress=progress)


def _distinct(people: Sequence[Person]) -> list[tuple[str, Person]]:
    """Each person with an identity unique within the export.

    Two friends may share a name and a day, and a CSV may repeat a row; the
    second and later get ``#2``, ``#3``, so nobody is merged away and a
    re-import of the same file gives the same identities.
    """
    seen: dict[str, int] = {}
    found = []
    for person in people:
        base = person.identity
        seen[base] = seen.get(base, 0) + 1
        found.append((base if seen[base] == 1 else f"{base}#{seen[base]}", person))
    return found


def _links(result: MatchResult) -> dict[int, Link]:
    """``id(person) -> Link`` for every person of a match (the objects are the caller's)."""
    links: dict[int, Link] = {id(m.person): Link(m.email) for m in result.matches}
    for item in result.ambiguous:
        links[id(item.person)] = Link(None, item.emails)
    return links


def _stamp(store: Store, config: Config) -> str:
    """What the links depend on: the messages, and the rules that make contacts of them."""
    return json.dumps([store.messages_version(), config.policy.max_recipients, sorted(config.me)])


def _contacts(store: Store, config: Config) -> list[tuple[str, set[str]]]:
    return list(store.contact_names(config.me, config.policy.max_recipients).items())


def import_export(
    store: Store,
    config: Config,
    kind: Source | str,
    path: str | Path,
    progress: Progress | None = None,
    *,
    today: date | None = None,
) -> dict[str, int]:
    """Import one LinkedIn or Facebook export; the contract's ``{"people", "matched", "unmatched"}``.

    ``kind`` is ``linkedin`` or ``facebook``; ``progress`` is called with the
    number of people read so far. Importing again updates each person
    (found by identity: the profile URL, else name and date) and deletes the
    ones the new export no longer has. When a later export shows a person
    at another organization or in another position than the stored one, the
    person's ``role_changed_on`` becomes the new export's date (so a draft
    may congratulate them). Raises :class:`~worker.social.NotAnExport`, with
    nothing stored, for a file that is not such an export.
    """
    source = Source(kind)
    export = _read(source, path, progress)
    today = today or datetime.now(UTC).date()
    people = _distinct(export.people)
    result = match_people([p for _, p in people], _contacts(store, config))
    links = _links(result)

    before = {p.identity: p for p in store.social.people(source)}
    previous = store.social.last_import(source)
    # An older file imported after a newer one says nothing new about anyone.
    newer = (
        previous is None
        or previous.as_of is None
        or export.as_of is None
        or (export.as_of >= previous.as_of)
    )
    rows = []
    for identity, person in people:
        link = links.get(id(person), Link(None))
        old = before.get(identity)
        changed = (
            newer
            and old is not None
            and is_new_role(
                (old.organization, old.position), (person.organization, person.position)
            )
        )
        rows.append(
            SocialPerson(
                source=source,
                identity=identity,
                name=person.name,
                first=person.first,
                last=person.last,
                email=person.email,
                organization=person.organization,
                position=person.position,
                url=person.url,
                connected_on=person.connected_on,
                contact_email=link.email,
                role_changed_on=(export.as_of or today) if changed else None,
                candidates=link.candidates,
            )
        )
    record = store.social.replace(source, rows, as_of=export.as_of)
    _remember_stamp(store, config)
    for item in result.ambiguous:
        log.info("%s: %s fits several contacts: %s", source, item.person.name, item.emails)
    return record.counts


def _remember_stamp(store: Store, config: Config) -> None:
    try:
        store.set_meta(RELINK_KEY, _stamp(store, config))
    except StateLocked:
        pass  # the next scan just links again


def _person(row: SocialPerson) -> Person:
    return Person(
        source=row.source,
        name=row.name,
        first=row.first,
        last=row.last,
        email=row.email,
        organization=row.organization,
        position=row.position,
        url=row.url,
        connected_on=row.connected_on,
    )


def relink(store: Store, config: Config, *, force: bool = False) -> int:
    """Match the stored people to the contacts again; how many people's match changed.

    Run after each scan, so that a person an import could not place is
    linked once their address turns up in mail. Does nothing (one index
    probe) when every person is matched, or when neither the messages nor
    the contact rules changed since the last match (``force`` matches
    anyway). Every person of a source is matched again, not only the
    unmatched, so the links always equal what a fresh import would give
    (a new namesake makes a name match ambiguous, and it is then reported).
    """
    if not store.social.any_unmatched():
        return 0
    stamp = _stamp(store, config)
    if not force and store.get_meta(RELINK_KEY) == stamp:
        return 0
    contacts = _contacts(store, config)
    links: dict[str, Link] = {}
    for source in Source:
        rows = store.social.people(source)
        if not rows:
            continue
        people = [(row.identity, _person(row)) for row in rows]
        found = _links(match_people([p for _, p in people], contacts))
        links.update({identity: found.get(id(p), Link(None)) for identity, p in people})
    changed = store.social.relink(links)
    _remember_stamp(store, config)
    if changed:
        log.info("social: %d people linked anew after the scan", changed)
    return changed


def forget(store: Store, kind: Source | str) -> int:
    """Delete everything one source's imports stored; how many people were forgotten."""
    return store.social.forget(Source(kind))
