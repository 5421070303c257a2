"""LinkedIn's ``Connections.csv``, read exactly as LinkedIn exports it.

The file (alone, in LinkedIn's export zip, or in that zip unpacked) looks like::

    \\ufeffNotes:
    "When exporting your connection data, you may notice that some of the
    email addresses are missing. ..."

    First Name,Last Name,URL,Email Address,Company,Position,Connected On
    Jane,Doe,https://www.linkedin.com/in/janedoe,,Globex,"Head of Design, EMEA",12 Mar 2024

The BOM and the ``Notes:`` preamble are optional, and so is the ``URL``
column (exports before 2020 lack it); columns are found by name. ``Email
Address`` is mostly empty: members choose whether to share it.

:func:`parse_connections` is the pure parser over lines of text;
:func:`read_linkedin` opens the file, streams it (a file of any size is read
a bounded line at a time) and returns the whole :class:`Export`, or raises
:class:`~worker.social.people.NotAnExport` having stored nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from worker.social.files import ZIP_ERRORS, open_member
from worker.social.match import is_cjk_name
from worker.social.people import Export, NotAnExport, Person, Progress, Source

__all__ = [
    "HEADER",
    "MAX_PEOPLE",
    "parse_connected_on",
    "parse_connections",
    "read_linkedin",
]

#: The header LinkedIn writes today.
HEADER = ("First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On")
_REQUIRED = ("First Name", "Last Name", "Company", "Position", "Connected On")
#: The header must come within this many lines (the Notes preamble is a few).
_PREAMBLE_LINES = 50
#: A physical line longer than this is not LinkedIn's (and is never held whole).
_MAX_LINE_CHARS = 64 * 1024
#: LinkedIn caps connections at 30,000; far more rows means the wrong file.
MAX_PEOPLE = 100_000
_PROGRESS_EVERY = 500

_MONTHS = {
    m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())
}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_connected_on(text: str) -> date | None:
    """LinkedIn's ``Connected On`` (``12 Mar 2024``) as a date; None if empty or unreadable.

    English month names are read without the locale (``strptime``'s ``%b``
    would follow it); ISO dates are accepted too.

    >>> parse_connected_on("12 Mar 2024"), parse_connected_on("03 September 2019")
    (datetime.date(2024, 3, 12), datetime.date(2019, 9, 3))
    >>> parse_connected_on(""), parse_connected_on("31 Feb 2024")
    (None, None)
    """
    text = text.strip()
    day_month_year = _DAY_MONTH_YEAR.match(text)
    try:
        if day_month_year:
            month = _MONTHS.get(day_month_year.group(2)[:3].lower())
            if month is None:
                return None
            return date(int(day_month_year.group(3)), month, int(day_month_year.group(1)))
        iso = _ISO.match(text)
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
    except ValueError:
        return None
    return None


def _clean(value: str) -> str | None:
    """One line, single spaces; None when empty."""
    text = " ".join(value.split())
    return text or None


def _full_name(first: str | None, last: str | None) -> str:
    """``Jane Doe``; a Japanese name family name first, as it is written: ``山田 太郎``."""
    if first and last and is_cjk_name(first) and is_cjk_name(last):
        return f"{last} {first}"
    return " ".join(p for p in (first, last) if p)


def _find_header(lines: Iterator[str], label: str) -> tuple[dict[str, int], int]:
    """Skip the BOM and preamble; the header's column positions and its line number."""
    for number, line in enumerate(lines, start=1):
        if number > _PREAMBLE_LINES:
            break
        cells = [c.strip().lstrip("\ufeff").strip() for c in next(csv.reader([line]), [])]
        if all(name in cells for name in _REQUIRED):
            return {name: cells.index(name) for name in HEADER if name in cells}, number
    raise NotAnExport(
        label,
        Source.LINKEDIN,
        "not a LinkedIn Connections.csv (no header line "
        f"'{','.join(HEADER)}' in its first {_PREAMBLE_LINES} lines)",
    )


def parse_connections(
    lines: Iterable[str], label: str = "Connections.csv", progress: Progress | None = None
) -> Iterator[Person]:
    """The people in LinkedIn's ``Connections.csv``, given as lines of text (newlines kept).

    Rows without a first or last name are skipped (LinkedIn writes such rows
    for members who left or hide their name). Raises
    :class:`~worker.social.people.NotAnExport` (naming ``label``) when no
    header comes first, a row has fewer fields than the header, or there are
    more than :data:`MAX_PEOPLE` rows.

    >>> text = '''\\ufeffNotes:
    ... "Some e-mail addresses are missing.
    ... See LinkedIn's help."
    ...
    ... First Name,Last Name,URL,Email Address,Company,Position,Connected On
    ... Jane,Doe,https://www.linkedin.com/in/janedoe,,Globex,"Head of Design, EMEA",12 Mar 2024
    ... '''
    >>> [[p.name, p.organization, p.position, str(p.connected_on)]
    ...  for p in parse_connections(text.splitlines(keepends=True))]
    [['Jane Doe', 'Globex', 'Head of Design, EMEA', '2024-03-12']]
    """
    iterator = iter(lines)
    columns, header_line = _find_header(iterator, label)
    width = max(columns.values()) + 1
    count = 0
    reader = csv.reader(iterator)
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < width:
                raise NotAnExport(
                    label,
                    Source.LINKEDIN,
                    f"line {header_line + reader.line_num} has {len(row)} fields, "
                    f"the header has {width}",
                )

            def cell(name: str, row: list[str] = row) -> str | None:
                index = columns.get(name)
                return _clean(row[index]) if index is not None else None

            first, last = cell("First Name"), cell("Last Name")
            name = _full_name(first, last)
            if not name:
                continue
            count += 1
            if count > MAX_PEOPLE:
                raise NotAnExport(
                    label, Source.LINKEDIN, f"more than {MAX_PEOPLE} rows: not a LinkedIn export"
                )
            email = cell("Email Address")
            yield Person(
                source=Source.LINKEDIN,
                name=name,
                first=first,
                last=last,
                email=email.lower() if email and "@" in email else None,
                organization=cell("Company"),
                position=cell("Position"),
                url=cell("URL"),
                connected_on=parse_connected_on(cell("Connected On") or ""),
            )
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(count)
    except csv.Error as exc:
        raise NotAnExport(
            label, Source.LINKEDIN, f"line {header_line + reader.line_num} is not valid CSV ({exc})"
        ) from exc
    if progress is not None:
        progress(count)


def _bounded_lines(stream: io.TextIOBase, label: str) -> Iterator[str]:
    """The stream's lines, refusing one longer than any LinkedIn line (never holding it whole)."""
    number = 0
    while line := stream.readline(_MAX_LINE_CHARS):
        number += 1
        if len(line) >= _MAX_LINE_CHARS and not line.endswith("\n"):
            raise NotAnExport(
                label,
                Source.LINKEDIN,
                f"line {number} is longer than {_MAX_LINE_CHARS // 1024} KB: "
                "not a LinkedIn Connections.csv",
            )
        yield line


def read_linkedin(path: str | Path, *, progress: Progress | None = None) -> Export:
    """Read LinkedIn's ``Connections.csv`` (the file, LinkedIn's export zip, or a folder).

    Returns every person only once the whole file has been read, so a file
    that fails halfway leaves nothing to store. Raises
    :class:`~worker.social.people.NotAnExport` for anything that is not such
    an export: a missing file, another CSV, text that is not UTF-8, a
    corrupt zip.

    ``Export.as_of``, how current the companies and positions are: LinkedIn
    writes each member's *current* company and position at export time, and
    ``Connected On`` only dates the connection. So the export's date is the
    file's own: the zip entry's date when read from LinkedIn's zip (LinkedIn
    stamps it when it builds the export), else the file's modification time
    (kept by unzip; a plain copy may make it later, never earlier). It is
    never earlier than the newest ``Connected On``, which the export must
    postdate.
    """
    path = Path(path)
    with open_member(
        path,
        ("connections.csv",),
        Source.LINKEDIN,
        what="LinkedIn Connections.csv",
        cap_plain_files=False,
    ) as member:
        text = io.TextIOWrapper(member.stream, encoding="utf-8-sig", newline="")
        try:
            people = tuple(
                parse_connections(_bounded_lines(text, member.label), member.label, progress)
            )
        except (NotAnExport, UnicodeDecodeError) as exc:
            damage = member.damage()
            if damage is not None:
                raise NotAnExport(path, Source.LINKEDIN, damage) from exc
            if isinstance(exc, NotAnExport):
                raise
            raise NotAnExport(
                member.label,
                Source.LINKEDIN,
                "is not UTF-8 text (a spreadsheet may have re-saved it: use the file from "
                "LinkedIn's zip)",
            ) from exc
        except ZIP_ERRORS as exc:
            raise NotAnExport(path, Source.LINKEDIN, f"is a corrupt zip file ({exc})") from exc
        as_of = member.written
    newest = max((p.connected_on for p in people if p.connected_on), default=None)
    if newest is not None and (as_of is None or as_of < newest):
        as_of = newest
    return Export(Source.LINKEDIN, str(path), as_of, people)
