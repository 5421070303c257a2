"""Facebook's friends export: the JSON, the zip under each path Facebook used, the escaping."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.social import facebook
from worker.social.facebook import FRIENDS_PATHS, parse_friends, read_facebook, repair_mojibake
from worker.social.files import MAX_MEMBER_BYTES
from worker.social.people import NotAnExport, Source

FIXTURES = Path(__file__).parent / "fixtures" / "social"
FRIENDS = FIXTURES / "your_friends.json"
NAMES = ["田中 花子", "Zoë Quinn", "Zoë Genuine", "Taro Yamada", "鈴木一郎"]


def _facebook_escaped(text: str) -> str:
    """What Facebook writes: each UTF-8 byte as its own character."""
    return text.encode("utf-8").decode("latin-1")


def _zip(
    path: Path, members: dict[str, bytes], when: tuple[int, ...] = (2025, 5, 4, 10, 0, 0)
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)  # type: ignore[arg-type]
    return path


def test_the_json_as_facebook_writes_it() -> None:
    raw = FRIENDS.read_text(encoding="ascii")  # Facebook's file is pure ASCII
    assert r"\u00e7\u0094\u00b0\u00e4\u00b8\u00ad" in raw  # 田中, byte by byte
    export = read_facebook(FRIENDS)
    assert export.source is Source.FACEBOOK
    assert [p.name for p in export.people] == NAMES  # the nameless entry is skipped
    assert [p.connected_on for p in export.people] == [
        date(2012, 3, 16), date(2010, 1, 1), date(2015, 1, 1), date(2017, 7, 14), date(2020, 9, 13),
    ]  # fmt: skip
    first = export.people[0]
    assert (first.first, first.last, first.email, first.organization, first.url) == (None,) * 5
    assert export.as_of is not None and export.as_of >= date(2020, 9, 13)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_facebook_escaped("田中"), "田中"),
        (_facebook_escaped("Zoë"), "Zoë"),
        ("Zoë", "Zoë"),  # a genuine ë is one byte that is not UTF-8 on its own
        ("Café", "Café"),
        ("田中", "田中"),  # already right: characters above U+00FF
        ("Zoë 田中", "Zoë 田中"),
        ("plain ascii", "plain ascii"),
        ("", ""),
        (_facebook_escaped("José Álvarez 😀"), "José Álvarez 😀"),
        (_facebook_escaped("ｶﾀｶﾅ"), "ｶﾀｶﾅ"),
    ],
)
def test_repair_mojibake(text: str, expected: str) -> None:
    assert repair_mojibake(text) == expected


@given(st.text())
def test_repair_undoes_facebooks_escaping_of_any_text(text: str) -> None:
    try:
        escaped = _facebook_escaped(text)
    except UnicodeEncodeError:  # lone surrogates are not text Facebook could write
        return
    assert repair_mojibake(escaped) == text


@given(st.text(min_size=1).filter(lambda s: any(ord(c) > 0xFF for c in s)))
def test_repair_leaves_text_with_real_non_latin_characters_alone(text: str) -> None:
    assert repair_mojibake(text) == text


@pytest.mark.parametrize("member", FRIENDS_PATHS)
@pytest.mark.parametrize("prefix", ["", "facebook-janedoe1234/", "facebook-janedoe1234/export/"])
def test_the_export_zip_under_each_path_facebook_used(
    tmp_path: Path, member: str, prefix: str
) -> None:
    archive = _zip(
        tmp_path / "facebook-janedoe1234.zip",
        {
            f"{prefix}messages/inbox/x/message_1.json": b'{"participants": []}',
            f"{prefix}{member.replace('friends.json', 'removed_friends.json')}": b'{"deleted_friends_v2": []}',
            f"{prefix}{member}": FRIENDS.read_bytes(),
        },
    )
    export = read_facebook(archive)
    assert [p.name for p in export.people] == NAMES
    assert export.as_of == date(2025, 5, 4)  # the zip entry's date


def test_the_unpacked_export_folder(tmp_path: Path) -> None:
    friends = tmp_path / "facebook-janedoe" / "connections" / "friends"
    friends.mkdir(parents=True)
    (friends / "your_friends.json").write_bytes(FRIENDS.read_bytes())
    (friends / "received_friend_requests.json").write_text('{"received_requests_v2": []}')
    assert [p.name for p in read_facebook(tmp_path / "facebook-janedoe").people] == NAMES


def test_older_friends_key() -> None:
    people = list(parse_friends({"friends": [{"name": "Ann Lee", "timestamp": 1262304000}]}))
    assert [(p.name, p.connected_on) for p in people] == [("Ann Lee", date(2010, 1, 1))]


def test_missing_or_odd_timestamps_give_no_date() -> None:
    doc = {
        "friends_v2": [
            {"name": "A B"},
            {"name": "C D", "timestamp": "x"},
            {"name": "E F", "timestamp": True},
        ]
    }
    assert [p.connected_on for p in parse_friends(doc)] == [None, None, None]


def test_progress_is_reported_with_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facebook, "_PROGRESS_EVERY", 2)
    seen: list[int] = []
    read_facebook(FRIENDS, progress=seen.append)
    assert seen == [2, 4, 5]


def _refused(path: Path, limit: int = MAX_MEMBER_BYTES) -> str:
    with pytest.raises(NotAnExport) as caught:
        read_facebook(path, limit=limit)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert caught.value.exit_code == 2 and caught.value.source is Source.FACEBOOK
    return message


def test_the_wrong_json_is_refused() -> None:
    assert 'no "friends_v2" list' in _refused(FIXTURES / "wrong_shape.json")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[1, 2, 3]", 'no "friends_v2" list'),
        (b'{"friends_v2": {"name": "x"}}', 'no "friends_v2" list'),
        (b'{"friends_v2": ["Ann Lee"]}', 'friend 1 is not an object with a "name"'),
        (b'{"friends_v2": [{"name": 12}]}', 'friend 1 is not an object with a "name"'),
        (b'{"friends_v2": [{"name": "Ann"', "is not valid JSON (line 1"),
        (b"", "is not valid JSON"),
        ('{"friends_v2": [{"name": "Zoë"}]}'.encode("latin-1"), "is not UTF-8"),
    ],
)
def test_broken_json_is_refused(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "your_friends.json"
    path.write_bytes(content)
    assert problem in _refused(path)


def test_a_linkedin_csv_is_refused() -> None:
    assert "is not valid JSON" in _refused(FIXTURES / "Connections.csv")


def test_a_2_gb_file_is_refused_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "friends.json"
    with huge.open("wb") as f:
        f.truncate(2 * 1024**3)  # sparse
    assert "2048 MB, more than any such export (200 MB)" in _refused(huge)


def test_a_zip_member_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    padding = {"friends_v2": [{"name": "A B", "timestamp": 1}] * 5000}
    archive = _zip(tmp_path / "export.zip", {"friends/friends.json": json.dumps(padding).encode()})
    assert "friends/friends.json is 161 KB, more than any such export (48 KB)" in _refused(
        archive, limit=50_000
    )
    assert len(read_facebook(archive).people) == 5000  # under the real cap it reads


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    whole = _zip(tmp_path / "whole.zip", {"friends/friends.json": FRIENDS.read_bytes() * 50})
    cut = tmp_path / "facebook-export.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size - 40])
    assert "truncated or corrupt zip" in _refused(cut)


def test_corrupt_zip_data_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "whole.zip", "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("friends/friends.json", FRIENDS.read_bytes())
    data = bytearray((tmp_path / "whole.zip").read_bytes())
    at = data.index(b"Taro")
    data[at] = ord("K")  # still valid JSON: only the CRC can tell
    broken = tmp_path / "facebook-export.zip"
    broken.write_bytes(bytes(data))
    assert "is a corrupt zip file (Bad CRC-32" in _refused(broken)


def test_a_zip_without_friends_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "export.zip", {"messages/inbox/x/message_1.json": b"{}"})
    assert "holds no Facebook friends list" in _refused(archive)


def test_the_html_export_is_refused_with_a_hint(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "export.zip", {"friends_and_followers/friends.html": b"<html></html>"}
    )
    assert "HTML export: request the export again in JSON format" in _refused(archive)


def test_a_folder_without_friends_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert "no Facebook friends list (friends.json) in this folder" in _refused(tmp_path)
