"""Facebook's friends export: the JSON file, the export's zip, or that zip unpacked.

The file is ``{"friends_v2": [{"name": "...", "timestamp": 1331856000}]}``
(older exports say ``"friends"``), found under whichever path Facebook used
that year: ``friends/friends.json``, ``friends_and_followers/friends.json``
or ``connections/friends/your_friends.json``, possibly inside one more
top-level folder. ``timestamp`` is when the friendship began (Unix seconds).

Facebook writes every non-ASCII name as its UTF-8 bytes, each escaped as
its own ``\\u00XX`` character: ``田中`` arrives as ``\\u00e7\\u0094\\u00b0...``.
:func:`repair_mojibake` undoes that where, and only where, a string is
entirely that encoding.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from worker.social.files import MAX_MEMBER_BYTES, ZIP_ERRORS, open_member
from worker.social.people import Export, NotAnExport, Person, Progress, Source

__all__ = ["FRIENDS_PATHS", "MAX_FRIENDS", "repair_mojibake", "parse_friends", "read_facebook"]

#: Where Facebook has put the friends list, newest layout first.
FRIENDS_PATHS = (
    "connections/friends/your_friends.json",
    "friends_and_followers/friends.json",
    "friends/friends.json",
)
#: Facebook caps friends at 5,000; far more entries means the wrong file.
MAX_FRIENDS = 100_000
_PROGRESS_EVERY = 500


def repair_mojibake(text: str) -> str:
    """Undo Facebook's escaping: a string whose characters are all UTF-8 bytes, decoded.

    Only a string made entirely of characters up to U+00FF, with at least
    one above ASCII, that decodes as valid UTF-8 is repaired; anything else
    is returned as it is, so a genuine ``Zoë`` stays ``Zoë``.

    >>> repair_mojibake("\\u00e7\\u0094\\u00b0\\u00e4\\u00b8\\u00ad")
    '田中'
    >>> repair_mojibake("Zo\\u00c3\\u00ab"), repair_mojibake("Zoë"), repair_mojibake("田中")
    ('Zoë', 'Zoë', '田中')
    """
    if text.isascii() or any(ord(c) > 0xFF for c in text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return text


def _friendship_date(value: Any) -> date | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC).date()
    except (OverflowError, OSError, ValueError):
        return None


def parse_friends(
    document: Any, label: str = "friends.json", progress: Progress | None = None
) -> Iterator[Person]:
    """The friends in a parsed friends export (the JSON document as Python objects).

    Entries without a name are skipped. Raises
    :class:`~worker.social.people.NotAnExport` (naming ``label``) when the
    document is not ``{"friends_v2": [...]}`` (or the older ``"friends"``)
    of objects, or holds more than :data:`MAX_FRIENDS` entries.

    >>> doc = {"friends_v2": [{"name": "Zo\\u00c3\\u00ab Quinn", "timestamp": 1331856000}]}
    >>> [(p.name, str(p.connected_on)) for p in parse_friends(doc)]
    [('Zoë Quinn', '2012-03-16')]
    """
    friends = None
    if isinstance(document, dict):
        friends = document.get("friends_v2", document.get("friends"))
    if not isinstance(friends, list):
        raise NotAnExport(
            label, Source.FACEBOOK, 'not a Facebook friends export (no "friends_v2" list)'
        )
    if len(friends) > MAX_FRIENDS:
        raise NotAnExport(
            label, Source.FACEBOOK, f"more than {MAX_FRIENDS} friends: not a Facebook export"
        )
    count = 0
    for index, entry in enumerate(friends):
        if not isinstance(entry, dict) or not isinstance(entry.get("name", ""), str):
            raise NotAnExport(
                label,
                Source.FACEBOOK,
                f'friend {index + 1} is not an object with a "name": not a Facebook friends export',
            )
        name = " ".join(repair_mojibake(entry.get("name", "")).split())
        if not name:
            continue
        count += 1
        yield Person(
            source=Source.FACEBOOK,
            name=name,
            connected_on=_friendship_date(entry.get("timestamp")),
        )
        if progress is not None and count % _PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(count)


def read_facebook(
    path: str | Path, *, progress: Progress | None = None, limit: int = MAX_MEMBER_BYTES
) -> Export:
    """Read Facebook's friends export (the JSON file, the export zip, or its folder).

    Returns every friend once the whole file has been read and checked.
    Raises :class:`~worker.social.people.NotAnExport` for a missing file, a
    truncated or corrupt zip, a zip or folder without the friends list (or
    with Facebook's HTML export instead of JSON), invalid JSON, the wrong
    JSON shape, or a file larger than ``limit`` bytes (checked before
    reading). ``Export.as_of`` is the file's (or zip entry's) date; Facebook
    gives no organization or position, so it only records when the list was
    taken.
    """
    path = Path(path)
    with open_member(
        path,
        FRIENDS_PATHS,
        Source.FACEBOOK,
        what="Facebook friends list (friends.json)",
        limit=limit,
    ) as member:
        try:
            data = member.stream.read(limit + 1)
        except ZIP_ERRORS as exc:
            raise NotAnExport(path, Source.FACEBOOK, f"is a corrupt zip file ({exc})") from exc
        if len(data) > limit:  # the file grew after it was measured
            raise NotAnExport(member.label, Source.FACEBOOK, "is larger than any friends export")
        try:
            document = json.loads(data)
        except UnicodeDecodeError as exc:
            raise NotAnExport(member.label, Source.FACEBOOK, "is not UTF-8 text") from exc
        except json.JSONDecodeError as exc:
            raise NotAnExport(
                member.label,
                Source.FACEBOOK,
                f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            ) from exc
        del data
        people = tuple(parse_friends(document, member.label, progress))
        as_of = member.written
    newest = max((p.connected_on for p in people if p.connected_on), default=None)
    if newest is not None and (as_of is None or as_of < newest):
        as_of = newest
    return Export(Source.FACEBOOK, str(path), as_of, people)
