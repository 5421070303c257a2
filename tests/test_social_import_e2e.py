"""``kizuna import`` end to end: real exports' shapes, a real Dovecot mailbox of known people, the CLI.

The mailbox (see :func:`known_people`) holds personal mail both ways with
Jane Doe, 山田 太郎 (also written to as "YAMADA Taro"), José (by address only),
two different John Smiths, Zoe Quinn, 鈴木 一郎 and Alice Smith. The LinkedIn
fixture (``tests/fixtures/social/Connections.csv``) and a Facebook zip built
from ``your_friends.json`` are matched against it.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from email.utils import formataddr
from pathlib import Path

import httpx
import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import Cli, message, write_config
from worker.config import load_config
from worker.core import Kizuna
from worker.social.drafting import role_line
from worker.web import WebService

pytestmark = pytest.mark.dovecot

FIXTURES = Path(__file__).parent / "fixtures" / "social"
CONNECTIONS = FIXTURES / "Connections.csv"
FRIENDS = FIXTURES / "your_friends.json"
ME = "me@example.com"
FACEBOOK_PATHS = (
    "connections/friends/your_friends.json",
    "friends_and_followers/friends.json",
    "friends/friends.json",
)


def _who(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8") if name else address


def exchange(
    server: DevMail,
    name: str,
    address: str,
    when: datetime,
    *,
    my_name_for_them: str | None = None,
) -> None:
    """I write to them (under ``my_name_for_them``), they answer: a contact both ways."""
    to = _who(name if my_name_for_them is None else my_name_for_them, address)
    server.write_maildir("Sent", message(ME, to, "hello", when))
    server.write_maildir(
        "INBOX", message(_who(name, address), ME, "Re: hello", when + timedelta(1))
    )


def known_people(server: DevMail) -> None:
    day = datetime(2019, 5, 1, 9, tzinfo=UTC)
    exchange(server, "Jane Doe", "jane.doe@globex.example", day)
    exchange(server, "山田 太郎", "taro@example.jp", day, my_name_for_them="YAMADA Taro")
    exchange(server, "Pepe", "jose.alvarez@example.org", day)  # only the address can match
    exchange(server, "John Smith", "js@a.example", day)
    exchange(server, "John Smith", "john@b.example", day)
    exchange(server, "Zoe Quinn", "zoe@example.net", day)
    exchange(server, "鈴木 一郎", "ichiro@example.jp", day)
    exchange(server, "Alice Smith", "alice@example.net", day)
    server.fix_ownership()


def facebook_zip(path: Path, member: str = FACEBOOK_PATHS[0], data: bytes | None = None) -> Path:
    """Facebook's JSON export zip, the friends list under ``member`` in its top folder."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("facebook-me/profile_information/profile_information.json", "{}")
        info = zipfile.ZipInfo(f"facebook-me/{member}", date_time=(2025, 5, 4, 12, 0, 0))
        archive.writestr(info, FRIENDS.read_bytes() if data is None else data)
    return path


@pytest.fixture
def known(dovecot: DevMail, tmp_path: Path) -> Cli:
    known_people(dovecot)
    cli = write_config(dovecot, tmp_path, api={"enabled": False})
    assert cli.json("scan")["contacts"] == 8
    return cli


def contacts(cli: Cli) -> dict[str, dict[str, object]]:
    return {c["email"]: c for c in cli.json("contacts")}  # type: ignore[union-attr, index]


def state_rows(cli: Cli) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with sqlite3.connect(cli.state) as db:
        people = db.execute("SELECT * FROM social_people ORDER BY identity").fetchall()
        imports = db.execute("SELECT * FROM social_imports ORDER BY source").fetchall()
    return people, imports


def imported(cli: Cli, *args: str) -> dict[str, int]:
    done = cli("import", *args, "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # small exports: nothing to wait for, nothing said
    counts: dict[str, int] = json.loads(done.stdout)
    return counts


# -- importing and matching ----------------------------------------------------------


def test_linkedin_and_facebook_match_the_known_people(known: Cli, tmp_path: Path) -> None:
    linkedin = imported(known, "linkedin", str(CONNECTIONS))
    # Jane (name), 山田 太郎 (太郎/山田 = 山田 太郎), José (e-mail) matched; 佐藤 花子 (not in
    # mail), John Smith (two contacts have the name) and Ann Lee are not; the nameless row is
    # no one.
    assert linkedin == {"people": 6, "matched": 3, "unmatched": 3}
    facebook = imported(known, "facebook", str(facebook_zip(tmp_path / "facebook-me.zip")))
    # Zoë Quinn (Facebook's escaping repaired, accent ignored), Taro Yamada (the name I
    # wrote to him under) and 鈴木一郎 (= 鈴木 一郎) matched; 田中 花子, Zoë Genuine not.
    assert facebook == {"people": 5, "matched": 3, "unmatched": 2}

    found = contacts(known)
    jane = found["jane.doe@globex.example"]
    assert (jane["organization"], jane["position"]) == ("Globex", "Head of Design, EMEA")
    assert jane["sources"] == ["mail", "linkedin"]
    taro = found["taro@example.jp"]
    assert (taro["organization"], taro["position"]) == ("株式会社ABC", "営業部長")
    assert taro["sources"] == ["mail", "linkedin", "facebook"]
    jose = found["jose.alvarez@example.org"]
    assert (jose["organization"], jose["position"]) == (
        "Initech, Inc.",
        "VP, Engineering & Operations",
    )
    assert found["zoe@example.net"]["sources"] == ["mail", "facebook"]
    assert found["zoe@example.net"]["organization"] is None  # Facebook says nothing of work
    assert found["ichiro@example.jp"]["sources"] == ["mail", "facebook"]
    for nobody in ("js@a.example", "john@b.example", "alice@example.net"):
        assert found[nobody]["sources"] == ["mail"]
        assert found[nobody]["organization"] is None and found[nobody]["position"] is None

    # The same exports again: the same counts, not one row more.
    before = state_rows(known)
    assert imported(known, "linkedin", str(CONNECTIONS)) == linkedin
    assert imported(known, "facebook", str(tmp_path / "facebook-me.zip")) == facebook
    after = state_rows(known)
    assert len(after[0]) == 11 and [r[:2] for r in after[0]] == [r[:2] for r in before[0]]
    assert contacts(known) == found


def test_the_human_summary_and_the_unmatched_list(known: Cli) -> None:
    done = known("import", "linkedin", str(CONNECTIONS))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "Imported 6 LinkedIn connections: 3 matched to contacts, 3 not "
        "(listed on the dashboard page)."
    )
    with Kizuna(load_config(known.config)) as kizuna:
        unmatched = {p.name: p for p in kizuna.social_unmatched()}
    assert set(unmatched) == {"佐藤 花子", "John Smith", "Ann Lee"}
    assert unmatched["John Smith"].ambiguous
    assert unmatched["John Smith"].candidates == ("john@b.example", "js@a.example")
    assert unmatched["Ann Lee"].profile_url == "https://www.linkedin.com/in/annlee"
    assert not unmatched["佐藤 花子"].ambiguous


def test_a_new_export_updates_and_dates_a_new_role(known: Cli, tmp_path: Path) -> None:
    imported(known, "linkedin", str(CONNECTIONS))
    moved = tmp_path / "Connections.csv"
    text = CONNECTIONS.read_text(encoding="utf-8-sig")
    text = text.replace('Globex,"Head of Design, EMEA"', "Initech,Design Director")
    text = "\n".join(line for line in text.split("\n") if not line.startswith("Ann,Lee"))
    moved.write_text("\ufeff" + text, encoding="utf-8")
    assert imported(known, "linkedin", str(moved)) == {"people": 5, "matched": 3, "unmatched": 2}
    jane = contacts(known)["jane.doe@globex.example"]
    assert (jane["organization"], jane["position"]) == ("Initech", "Design Director")
    with Kizuna(load_config(known.config)) as kizuna:
        assert "Ann Lee" not in {p.name for p in kizuna.social_unmatched()}
        # A draft may say what LinkedIn says, and congratulate: two imports show the change.
        today = datetime.now(UTC).date()
        assert role_line(kizuna.store, "jane.doe@globex.example", "en", today=today) == (
            "I saw on LinkedIn that you're now a Design Director at Initech — congratulations!"
        )
        taro = role_line(kizuna.store, "taro@example.jp", "ja", today=today)
        assert taro == "現在は株式会社ABCで営業部長をされていると、LinkedInで拝見しました。"
        # Three years on, the same export is too old to say anything.
        later = today + timedelta(days=4 * 365)
        assert role_line(kizuna.store, "taro@example.jp", "ja", today=later) is None


def test_a_later_scan_links_someone_known_only_from_linkedin(known: Cli, dovecot: DevMail) -> None:
    imported(known, "linkedin", str(CONNECTIONS))
    assert "hanako@example.jp" not in contacts(known)
    dovecot.append("Sent", message(ME, _who("佐藤花子", "hanako@example.jp"), "お久しぶりです"))
    dovecot.append(
        "INBOX", message(_who("佐藤 花子", "hanako@example.jp"), ME, "Re: お久しぶりです")
    )
    assert known.json("scan")["contacts"] == 9
    hanako = contacts(known)["hanako@example.jp"]
    assert (hanako["organization"], hanako["position"]) == ("Umbrella KK", 'Designer, "Brand" team')
    assert hanako["sources"] == ["mail", "linkedin"]
    _, imports = state_rows(known)
    assert [(r[0], r[3:]) for r in imports] == [("linkedin", (6, 4, 2))]  # counts follow
    with Kizuna(load_config(known.config)) as kizuna:
        assert "佐藤 花子" not in {p.name for p in kizuna.social_unmatched()}


def test_forget_removes_everything_from_one_source(known: Cli, tmp_path: Path) -> None:
    imported(known, "linkedin", str(CONNECTIONS))
    imported(known, "facebook", str(facebook_zip(tmp_path / "facebook-me.zip")))
    done = known("import", "--forget", "linkedin")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Forgot 6 LinkedIn connections."
    people, imports = state_rows(known)
    assert {r[1] for r in people} == {"facebook"} and [r[0] for r in imports] == ["facebook"]
    found = contacts(known)
    assert found["jane.doe@globex.example"]["organization"] is None
    assert found["jane.doe@globex.example"]["sources"] == ["mail"]
    assert found["taro@example.jp"]["sources"] == ["mail", "facebook"]
    assert known.json("import", "--forget", "facebook") == {"source": "facebook", "forgotten": 5}
    assert state_rows(known) == ([], [])
    again = known("import", "--forget", "facebook")
    assert again.returncode == 0 and again.stdout.strip() == "Nothing imported from facebook."


def test_every_zip_layout_facebook_used(known: Cli, tmp_path: Path) -> None:
    for number, member in enumerate(FACEBOOK_PATHS):
        archive = facebook_zip(tmp_path / f"facebook-{number}.zip", member)
        assert imported(known, "facebook", str(archive)) == {
            "people": 5,
            "matched": 3,
            "unmatched": 2,
        }, member
    people, _ = state_rows(known)
    assert len(people) == 5


# -- refusals ------------------------------------------------------------------------


def test_bad_files_are_one_line_exit_2_and_change_nothing(known: Cli, tmp_path: Path) -> None:
    imported(known, "linkedin", str(CONNECTIONS))
    imported(known, "facebook", str(facebook_zip(tmp_path / "facebook-me.zip")))
    before = state_rows(known)

    whole = facebook_zip(tmp_path / "whole.zip", data=FRIENDS.read_bytes() * 40)
    truncated = tmp_path / "facebook-truncated.zip"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:
        f.truncate(2 * 1024**3)  # 2 GB (sparse): refused without reading it all
    html_zip = tmp_path / "facebook-html.zip"
    with zipfile.ZipFile(html_zip, "w") as archive:
        archive.writestr("connections/friends/your_friends.html", "<html></html>")
    cases = [
        (("linkedin", str(FIXTURES / "random.csv")), "not a LinkedIn Connections.csv"),
        (("linkedin", str(huge)), "longer than 64 KB"),
        (("linkedin", str(tmp_path / "missing.csv")), "no such file"),
        (("linkedin", str(tmp_path / "facebook-me.zip")), "holds no LinkedIn Connections.csv"),
        (("facebook", str(FIXTURES / "wrong_shape.json")), 'no "friends_v2" list'),
        (("facebook", str(truncated)), "truncated or corrupt zip"),
        (("facebook", str(CONNECTIONS)), "is not valid JSON"),
        (("facebook", str(huge)), "more than any such export"),
        (("facebook", str(html_zip)), "request the export again in JSON format"),
        (("linkedin",), "missing PATH"),
        (("--forget", "linkedin", str(CONNECTIONS)), "--forget takes no PATH"),
        (("myspace", str(CONNECTIONS)), "'myspace' is not one of 'linkedin', 'facebook'"),
    ]
    for args, reason in cases:
        done = known("import", *args, "--json")
        assert done.returncode == 2, (args, done.stderr)
        assert done.stdout == "", args
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("kizuna: "), (args, done.stderr)
        assert reason in lines[0], (args, lines[0])
        assert state_rows(known) == before, args


def test_a_big_export_shows_progress_on_stderr(known: Cli, tmp_path: Path) -> None:
    big = tmp_path / "Connections.csv"
    rows = [f"Person{i},Number{i},https://www.linkedin.com/in/p{i},,Co{i},Role,01 Jan 2024"
            for i in range(1234)]  # fmt: skip
    rows.append("Jane,Doe,https://www.linkedin.com/in/jane-doe-1a2b3c,,Globex,CEO,12 Mar 2024")
    header = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
    big.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    done = known("import", "linkedin", str(big), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"people": 1235, "matched": 1, "unmatched": 1234}
    assert done.stderr.splitlines() == [
        "kizuna: read 500 LinkedIn connections",
        "kizuna: read 1000 LinkedIn connections",
        "kizuna: read 1235 LinkedIn connections",
    ]


# -- the page and the API ------------------------------------------------------------


def test_the_page_and_the_api_list_people_known_only_from_exports(
    dovecot: DevMail, tmp_path: Path
) -> None:
    known_people(dovecot)
    cli = write_config(dovecot, tmp_path, api={"port": 0})
    cli.json("scan")
    imported(cli, "linkedin", str(CONNECTIONS))
    imported(cli, "facebook", str(facebook_zip(tmp_path / "facebook-me.zip")))
    config = load_config(cli.config)
    service = WebService(config, lambda: Kizuna(config), port=0)
    service.start()
    try:
        token = (config.state_dir / "api-token").read_text().strip()
        with httpx.Client(
            base_url=f"http://127.0.0.1:{service.port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as http:
            listed = http.get("/api/social/unmatched")
            assert listed.status_code == 200
            people = {(p["source"], p["name"]): p for p in listed.json()}
            assert set(people) == {
                ("linkedin", "佐藤 花子"),
                ("linkedin", "John Smith"),
                ("linkedin", "Ann Lee"),
                ("facebook", "田中 花子"),
                ("facebook", "Zoë Genuine"),
            }
            ann = people[("linkedin", "Ann Lee")]
            assert ann["url"] == "https://www.linkedin.com/in/annlee" and not ann["ambiguous"]
            assert ann["connected_on"] == "2012-07-19"
            john = people[("linkedin", "John Smith")]
            assert john["ambiguous"] and john["candidates"] == ["john@b.example", "js@a.example"]
            assert people[("facebook", "田中 花子")]["url"] is None
            assert (
                http.get("/api/social/unmatched", headers={"Authorization": ""}).status_code == 401
            )

            en = http.get("/", headers={"Accept-Language": "en"}).text
            assert "People you know only from LinkedIn or Facebook" in en
            assert 'href="https://www.linkedin.com/in/annlee"' in en
            assert "Not matched: the name fits more than one of your contacts" in en
            assert "Friends since 2012-03-16" in en and "田中 花子" in en
            ja = http.get("/", headers={"Accept-Language": "ja"}).text
            assert "LinkedIn・Facebook だけでつながっている人" in ja
            assert "同じ名前の連絡先が複数あるため" in ja
    finally:
        service.stop()


def test_a_draft_says_what_linkedin_says(known: Cli) -> None:
    before = known.json("draft", "--to", "jane.doe@globex.example", "--dry-run")
    assert "Globex" not in before[0]["body"]  # type: ignore[index]
    imported(known, "linkedin", str(CONNECTIONS))
    (draft,) = known.json("draft", "--to", "jane.doe@globex.example", "--dry-run")  # type: ignore[misc]
    body = draft["body"]
    assert "Head of Design, EMEA at Globex" in body, body
    assert "LinkedIn" in body
    # only once, and never inside the greeting or the subject
    assert body.count("Globex") == 1 and "Globex" not in draft["subject"]
    assert not [w for w in draft["warnings"] if "Globex" in w]


def test_an_english_draft_names_no_company_in_japanese_script(known: Cli) -> None:
    imported(known, "linkedin", str(CONNECTIONS))
    # 山田 太郎's mail was in English; LinkedIn says 株式会社ABC, 営業部長
    (draft,) = known.json("draft", "--to", "taro@example.jp", "--dry-run")  # type: ignore[misc]
    assert draft["language"] == "en"
    assert "株式会社" not in draft["body"] and "営業部長" not in draft["body"]
