"""The records an export yields, and the one error for a file that is not an export.

Pure value objects: :class:`Person` (one LinkedIn connection or Facebook
friend, only the fields Kizuna uses), :class:`Export` (everything one file
gave, read to the end before anyone stores it) and :class:`NotAnExport`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from worker.errors import UsageError
from worker.model import SocialSource as Source

__all__ = ["Source", "Person", "Export", "NotAnExport", "Progress"]

#: Called with the number of people read so far (every few hundred, and once
#: at the end), so the CLI can show progress on stderr for a big export.
Progress = Callable[[int], None]


class NotAnExport(UsageError):
    """The file named on the command line is not the export it was said to be.

    A :class:`~worker.errors.UsageError` (exit code 2, and a ``ValueError``):
    the user named the wrong file, or a broken one. The message is one line
    that names the file and what is wrong with it; ``path`` and ``source``
    say which file and which kind of export was expected.
    """

    def __init__(self, path: str | Path, source: Source, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.source = source
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Person:
    """One person from an export.

    ``name`` is the full name as the service shows it (LinkedIn's first and
    last name joined with a space; Facebook's name, repaired). ``first`` and
    ``last`` are LinkedIn's two columns (None for Facebook, which has one
    name). ``connected_on`` is when the connection or friendship was made,
    not when the export was: it says nothing about how current
    ``organization`` and ``position`` are (see :class:`Export.as_of`).
    """

    source: Source
    name: str
    first: str | None = None
    last: str | None = None
    email: str | None = None
    organization: str | None = None
    position: str | None = None
    url: str | None = None
    connected_on: date | None = None

    @property
    def identity(self) -> str:
        """A stable key for this person within its source, to update rather than duplicate.

        The profile URL when LinkedIn gives one (it survives a change of
        name), else the name and the connection date.

        >>> Person(Source.LINKEDIN, "Jane Doe", url="https://www.linkedin.com/in/JaneDoe/").identity
        'linkedin:www.linkedin.com/in/janedoe'
        >>> Person(Source.FACEBOOK, "Jane Doe", connected_on=date(2012, 3, 4)).identity
        'facebook:jane doe|2012-03-04'
        """
        if self.url:
            bare = self.url.strip().lower().split("://", 1)[-1].split("?", 1)[0].rstrip("/")
            return f"{self.source}:{bare}"
        when = self.connected_on.isoformat() if self.connected_on else ""
        return f"{self.source}:{' '.join(self.name.casefold().split())}|{when}"


@dataclass(frozen=True, slots=True)
class Export:
    """Everything one export file gave, read to its end.

    ``as_of`` is the best date for how current the export's organizations
    and positions are: when the export was made (see
    :func:`worker.social.linkedin.read_linkedin`).
    """

    source: Source
    path: str
    as_of: date | None
    people: tuple[Person, ...]
