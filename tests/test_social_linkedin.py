"""LinkedIn's Connections.csv: the file as LinkedIn writes it, in its zip, and what is not it."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from worker.errors import KizunaError, UsageError
from worker.social import linkedin
from worker.social.linkedin import parse_connected_on, parse_connections, read_linkedin
from worker.social.people import NotAnExport, Person, Source

FIXTURES = Path(__file__).parent / "fixtures" / "social"
CONNECTIONS = FIXTURES / "Connections.csv"
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"


def _by_name(people: tuple[Person, ...]) -> dict[str, Person]:
    return {p.name: p for p in people}


def _zip(
    path: Path, members: dict[str, bytes], when: tuple[int, ...] = (2025, 6, 30, 9, 15, 0)
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)  # type: ignore[arg-type]
    return path


def test_the_export_as_linkedin_writes_it() -> None:
    raw = CONNECTIONS.read_bytes()
    assert (
        raw.startswith(b"\xef\xbb\xbfNotes:\r\n") and b"\r\n\r\nFirst Name," in raw
    )  # the real shape
    export = read_linkedin(CONNECTIONS)
    assert export.source is Source.LINKEDIN and export.path == str(CONNECTIONS)
    people = _by_name(export.people)
    assert list(people) == [
        "Jane Doe",
        "山田 太郎",
        "José Álvarez",
        "佐藤 花子",
        "John Smith",
        "Ann Lee",
    ]
    jane = people["Jane Doe"]
    assert jane == Person(
        Source.LINKEDIN, "Jane Doe", "Jane", "Doe", None, "Globex", "Head of Design, EMEA",
        "https://www.linkedin.com/in/jane-doe-1a2b3c", date(2024, 3, 12),
    )  # fmt: skip
    taro = people["山田 太郎"]
    assert (taro.first, taro.last, taro.organization, taro.position) == (
        "太郎",
        "山田",
        "株式会社ABC",
        "営業部長",
    )
    jose = people["José Álvarez"]
    assert (jose.email, jose.organization, jose.position) == (
        "jose.alvarez@example.org",
        "Initech, Inc.",
        "VP, Engineering & Operations",
    )
    assert people["佐藤 花子"].position == 'Designer, "Brand" team'
    ann = people["Ann Lee"]
    assert (ann.organization, ann.position, ann.connected_on) == (None, None, date(2012, 7, 19))
    assert sum(p.email is not None for p in export.people) == 1  # mostly empty, as LinkedIn's


def test_pre_2020_export_without_url_column_and_lf_lines() -> None:
    people = _by_name(read_linkedin(FIXTURES / "Connections_2018.csv").people)
    assert people["Mary Major"].email == "mary@example.com" and people["Mary Major"].url is None
    assert people["鈴木 一郎"].organization == "富士商事"
    assert people["鈴木 一郎"].connected_on == date(2017, 12, 20)


@pytest.mark.parametrize("preamble", ["", "\ufeff", 'Notes:\n"one line note"\n\n', "\n\n"])
def test_header_found_with_or_without_bom_and_notes(preamble: str) -> None:
    text = f"{preamble}{HEADER}\nJane,Doe,,,Globex,Designer,12 Mar 2024\n"
    [jane] = parse_connections(io.StringIO(text))
    assert (jane.name, jane.position, jane.connected_on) == (
        "Jane Doe",
        "Designer",
        date(2024, 3, 12),
    )


def test_multiline_quoted_field_inside_a_row() -> None:
    text = (
        f'{HEADER}\nJane,Doe,,,Globex,"Designer,\nBrand",12 Mar 2024\nJohn,Smith,,,,,1 Jan 2020\n'
    )
    people = list(parse_connections(text.splitlines(keepends=True)))
    assert [p.position for p in people] == ["Designer, Brand", None]  # newlines folded to one line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Mar 2024", date(2024, 3, 12)),
        ("1 Jan 2021", date(2021, 1, 1)),
        ("03 September 2019", date(2019, 9, 3)),
        ("2024-03-12", date(2024, 3, 12)),
        (" 07 Nov 2023 ", date(2023, 11, 7)),
        ("", None),
        ("31 Feb 2024", None),
        ("12 Foo 2024", None),
        ("03/12/24", None),
    ],
)
def test_connected_on(text: str, expected: date | None) -> None:
    assert parse_connected_on(text) == expected


def test_identity_is_the_profile_url_and_stable_across_imports() -> None:
    first = read_linkedin(CONNECTIONS).people
    again = read_linkedin(CONNECTIONS).people
    assert [p.identity for p in first] == [p.identity for p in again]
    assert len({p.identity for p in first}) == len(first)
    assert first[0].identity == "linkedin:www.linkedin.com/in/jane-doe-1a2b3c"


def test_as_of_is_the_files_date_never_before_the_newest_connection(tmp_path: Path) -> None:
    copy = tmp_path / "Connections.csv"
    shutil.copyfile(CONNECTIONS, copy)
    when = datetime(2025, 1, 20, 12, 0).timestamp()
    os.utime(copy, (when, when))
    assert read_linkedin(copy).as_of == date(2025, 1, 20)
    early = datetime(2020, 1, 1, 12, 0).timestamp()  # older than the newest Connected On
    os.utime(copy, (early, early))
    assert read_linkedin(copy).as_of == date(2024, 3, 12)


@pytest.mark.parametrize(
    "member", ["Connections.csv", "Basic_LinkedInDataExport_06-30-2025/Connections.csv"]
)
def test_linkedins_zip_and_its_entry_date(tmp_path: Path, member: str) -> None:
    archive = _zip(
        tmp_path / "Basic_LinkedInDataExport_06-30-2025.zip",
        {"Invitations.csv": b"From,To\n", member: CONNECTIONS.read_bytes(), "Profile.csv": b"x\n"},
    )
    export = read_linkedin(archive)
    assert len(export.people) == 6 and export.as_of == date(2025, 6, 30)


def test_unpacked_zip_folder(tmp_path: Path) -> None:
    folder = tmp_path / "export" / "Basic_LinkedInDataExport"
    folder.mkdir(parents=True)
    shutil.copyfile(CONNECTIONS, folder / "Connections.csv")
    assert len(read_linkedin(tmp_path / "export").people) == 6


def test_progress_is_reported_with_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkedin, "_PROGRESS_EVERY", 2)
    seen: list[int] = []
    read_linkedin(CONNECTIONS, progress=seen.append)
    assert seen == [2, 4, 6, 6]


def _refused(path: Path) -> NotAnExport:
    with pytest.raises(NotAnExport) as caught:
        read_linkedin(path)
    error = caught.value
    message = str(error)
    assert "\n" not in message and str(path) in message  # one line that names the file
    assert (
        isinstance(error, UsageError)
        and isinstance(error, ValueError)
        and isinstance(error, KizunaError)
    )
    assert error.exit_code == 2 and error.source is Source.LINKEDIN
    return error


def test_a_random_csv_is_refused() -> None:
    error = _refused(FIXTURES / "random.csv")
    assert "not a LinkedIn Connections.csv" in str(error) and HEADER in str(error)


def test_the_facebook_json_is_refused() -> None:
    assert "not a LinkedIn Connections.csv" in str(_refused(FIXTURES / "your_friends.json"))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "no such file" in str(_refused(tmp_path / "Connections.csv"))


def test_a_spreadsheet_resaved_in_shift_jis_is_refused(tmp_path: Path) -> None:
    resaved = tmp_path / "Connections.csv"
    text = CONNECTIONS.read_text(encoding="utf-8-sig")
    resaved.write_bytes(text.encode("shift_jis", errors="replace"))
    assert "not UTF-8" in str(_refused(resaved))


def test_a_2_gb_file_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    huge = tmp_path / "Connections.csv"
    with huge.open("wb") as f:
        f.truncate(2 * 1024**3)  # sparse: 2 GB of NUL bytes that take no disk
    assert "longer than 64 KB" in str(_refused(huge))


def test_a_huge_file_of_valid_rows_stops_at_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linkedin, "MAX_PEOPLE", 3)
    big = tmp_path / "Connections.csv"
    big.write_text(
        HEADER + "\n" + "Jane,Doe,,,Globex,Designer,12 Mar 2024\n" * 10, encoding="utf-8"
    )
    assert "more than 3 rows" in str(_refused(big))


def test_a_short_row_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "Connections.csv"
    bad.write_text(f'Notes:\n"n"\n\n{HEADER}\nJane,Doe,,,Globex,Designer,12 Mar 2024\nJohn,Smith\n')
    assert "line 6 has 2 fields" in str(_refused(bad))


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    whole = _zip(tmp_path / "whole.zip", {"Connections.csv": CONNECTIONS.read_bytes() * 20})
    cut = tmp_path / "export.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert "truncated or corrupt zip" in str(_refused(cut))


def test_corrupt_zip_data_is_refused(tmp_path: Path) -> None:
    whole = _zip(tmp_path / "whole.zip", {"Connections.csv": CONNECTIONS.read_bytes() * 20})
    data = bytearray(whole.read_bytes())
    start = 30 + len("Connections.csv")  # the local header, then the deflated data
    for i in range(start + 40, start + 80):
        data[i] ^= 0x5A
    broken = tmp_path / "export.zip"
    broken.write_bytes(bytes(data))
    assert "is a corrupt zip file" in str(_refused(broken))


def test_a_zip_whose_checksum_fails_is_refused(tmp_path: Path) -> None:
    data = bytearray(_zip_stored(tmp_path / "whole.zip", CONNECTIONS.read_bytes()).read_bytes())
    at = data.index(b"Globex")
    data[at] = ord("H")  # still a valid CSV: only the CRC can tell
    broken = tmp_path / "export.zip"
    broken.write_bytes(bytes(data))
    assert "Bad CRC-32" in str(_refused(broken))


def _zip_stored(path: Path, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("Connections.csv", data)
    return path


def test_a_zip_without_connections_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "export.zip", {"Profile.csv": b"First Name,Last Name\n"})
    assert "holds no LinkedIn Connections.csv" in str(_refused(archive))


def test_a_folder_is_searched_a_few_levels_deep_only(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    shutil.copyfile(CONNECTIONS, deep / "Connections.csv")
    assert "no LinkedIn Connections.csv in this folder" in str(_refused(tmp_path))
    assert len(read_linkedin(tmp_path / "a").people) == 6
