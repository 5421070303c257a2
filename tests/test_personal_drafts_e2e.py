"""Personal drafts against a real Dovecot: history read read-only, reasons, register and names."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.support.dovecot import DevMail
from tests.support.factories import Cli, write_config

pytestmark = pytest.mark.dovecot

ME = "me@example.com"


def _mail(frm: str, to: str, subject: str, date: datetime, body: str) -> bytes:
    from email.header import Header

    def addr(value: str) -> str:
        name, _, email = value.rpartition(" <")
        if not name:
            return value
        return f"{Header(name, 'utf-8').encode()} <{email}"

    lines = [
        f"From: {addr(frm)}",
        f"To: {addr(to)}",
        f"Subject: {Header(subject, 'utf-8').encode()}",
        f"Date: {format_datetime(date)}",
        f"Message-ID: <{abs(hash((frm, to, subject, date)))}@test.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def d(year: int, month: int, day: int = 3) -> datetime:
    from datetime import UTC

    return datetime(year, month, day, 10, 0, tzinfo=UTC)


# (display name, address, [(direction, date, subject, body)])
CORRESPONDENCE = {
    "john@acme.com": (
        "John Smith",
        [
            (
                "out",
                d(2016, 4),
                "Berlin conference",
                "Dear Mr. Smith,\n\nThank you for your talk.\n\nBest regards,\nSam",
            ),
            (
                "in",
                d(2016, 4, 5),
                "Re: Berlin conference",
                "Dear Sam,\n\nMy pleasure.\n\nBest regards,\nJohn Smith\nAcme Inc.",
            ),
            (
                "out",
                d(2016, 5),
                "Re: Berlin conference",
                "Dear Mr. Smith,\n\nThe slides are attached.\n\nBest regards,\nSam",
            ),
        ],
    ),
    "mary@gmail.com": (
        "Mary Jones",
        [
            ("in", d(2018, 7), "photos", "Hi Sam,\n\nHere are the photos!\n\nMary"),
            ("out", d(2018, 7, 4), "Re: photos", "Hi Mary,\n\nThey are great, thanks!\n\nSam"),
        ],
    ),
    "taro@abc.co.jp": (
        "株式会社ABC 山田太郎",
        [
            (
                "out",
                d(2015, 5),
                "勉強会の資料",
                "株式会社ABC\n山田様\n\nお世話になっております。\n勉強会の資料をお送りいたします。\n\nSam",
            ),
            (
                "in",
                d(2015, 5, 6),
                "Re: 勉強会の資料",
                "Sam様\n\nお世話になっております。\nありがとうございます。\n\n山田",
            ),
        ],
    ),
    "hanako@example.org": (
        "YAMADA Hanako",
        [
            ("in", d(2019, 11), "lunch?", "Samさん\n\n今度ランチどうですか？\n\n花子"),
            (
                "out",
                d(2019, 11, 2),
                "Re: lunch?",
                "花子さん\n\nぜひ行きましょう！楽しみです。\n\nSam",
            ),
        ],
    ),
}


def fill(server: DevMail) -> None:
    for email, (name, messages) in CORRESPONDENCE.items():
        for direction, date, subject, body in messages:
            if direction == "out":
                raw = _mail(f"Sam Carter <{ME}>", f"{name} <{email}>", subject, date, body)
                server.write_maildir("Sent", raw, mtime=date.timestamp())
            else:
                raw = _mail(f"{name} <{email}>", f"Sam Carter <{ME}>", subject, date, body)
                # Unseen in INBOX: reading the history must not mark it read.
                server.write_maildir("INBOX", raw, seen=False, mtime=date.timestamp())
    server.fix_ownership()


@pytest.fixture
def personal(dovecot: DevMail, tmp_path: Path) -> Cli:
    fill(dovecot)
    cli = write_config(
        dovecot,
        tmp_path,
        [ME],
        account={"display_name": "Sam Carter", "language": "en"},
        outreach={
            "reason": {"en": "I am moving into product design and would love your view on it."}
        },
        api={"enabled": False},
    )
    assert cli.json("scan")["contacts"] == 4
    return cli


def _dry(cli: Cli, email: str, *extra: str) -> dict[str, object]:
    (made,) = cli.json("draft", "--dry-run", "--to", email, *extra)  # type: ignore[misc]
    assert isinstance(made, dict)
    return made


def test_each_contact_gets_their_language_greeting_and_name(
    personal: Cli, dovecot: DevMail
) -> None:
    john = _dry(personal, "john@acme.com")
    assert john["language"] == "en" and str(john["body"]).startswith("Dear Mr. Smith,\n")
    assert "regards," in str(john["body"]) and john["warnings"] == []
    assert "Berlin conference" in str(john["subject"])
    mary = _dry(personal, "mary@gmail.com")
    assert mary["language"] == "en" and str(mary["body"]).startswith("Hi Mary,\n")
    assert "photos" not in str(mary["body"]) + str(mary["subject"])  # not a topic
    taro = _dry(personal, "taro@abc.co.jp")
    assert taro["language"] == "ja" and str(taro["body"]).startswith("山田様\n")
    assert "株式会社ABCさん" not in str(taro["body"])
    assert "勉強会" in str(taro["subject"])
    hanako = _dry(personal, "hanako@example.org")
    assert hanako["language"] == "ja"  # Japanese bodies, romaji display name
    assert str(hanako["body"]).startswith("花子さん\n")
    assert len({john["subject"], mary["subject"], taro["subject"], hanako["subject"]}) == 4
    # The Japanese drafts got the English reason (the table has no "ja"): said, in English.
    assert any("Japanese" in w for w in taro["warnings"])  # type: ignore[union-attr]
    # Reading the history marked nothing read.
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["UNSEEN"])) == 4


def test_reasons_per_draft_per_contact_and_per_language(personal: Cli) -> None:
    ja_reason = "プロダクトデザインの仕事に移ろうとしています。｜ご意見を伺えませんでしょうか。"
    done = personal("contact", "taro@abc.co.jp", "--reason", ja_reason, "--json")
    assert done.returncode == 0, done.stderr
    taro = _dry(personal, "taro@abc.co.jp")
    assert "プロダクトデザインの仕事に移ろうとしています。" in str(taro["body"])
    assert "ご意見を伺えませんでしょうか。" in str(taro["body"])
    assert taro["warnings"] == []
    # A reason for one draft wins over the standing one, and is shared by every --to.
    both = personal.json(
        "draft",
        "--dry-run",
        "--to",
        "john@acme.com",
        "--to",
        "mary@gmail.com",
        "--reason",
        "I moved to Lisbon. | Could you introduce me to someone on your team?",
    )
    assert isinstance(both, list) and len(both) == 2
    for made in both:
        assert "I moved to Lisbon." in made["body"] and "introduce" in made["body"]
    # Other contacts keep the configured reason.
    assert "product design" in str(_dry(personal, "mary@gmail.com")["body"])
    # Cleared: back to the configured reason (English), with its language note.
    personal("contact", "taro@abc.co.jp", "--reason", "")
    assert "product design" in str(_dry(personal, "taro@abc.co.jp")["body"])
    # --reason without --to is a usage error.
    assert personal("draft", "--reason", "x").returncode == 2


def test_no_reason_at_all_is_a_warning(dovecot: DevMail, tmp_path: Path) -> None:
    fill(dovecot)
    cli = write_config(dovecot, tmp_path, [ME], account={"language": "ja"}, api={"enabled": False})
    cli.json("scan")
    made = _dry(cli, "mary@gmail.com")
    assert made["warnings"] and "理由" in made["warnings"][0]  # type: ignore[index]
    assert "what you've been up to" in str(made["body"])  # a catch-up, no invented ask


def test_contact_json_history_never_and_again(personal: Cli) -> None:
    doc = personal.json("contact", "john@acme.com")
    assert isinstance(doc, dict)
    assert doc["email"] == "john@acme.com" and doc["reason"] is None and doc["never"] is False
    history = doc["history"]
    assert history["messages"] == 3 and history["sent"] == 2 and history["received"] == 1
    assert history["register"]["formality"] == "formal" and history["register"]["title"] == "Mr."
    assert history["language"] == "en" and history["topic"] == "Berlin conference"
    assert history["organization"] == "Acme Inc." and history["current"] is True
    assert history["read_because"] == "first"
    taro = personal.json("contact", "taro@abc.co.jp")
    assert taro["history"]["name"]["family"] == "山田"  # type: ignore[index]
    assert taro["history"]["organization"] == "株式会社ABC"  # type: ignore[index]
    # Never: not proposed, not drafted even when named; again: back.
    assert personal("contact", "mary@gmail.com", "--never").returncode == 0
    dormant = personal.json("contacts", "--dormant")
    assert "mary@gmail.com" not in [c["email"] for c in dormant]  # type: ignore[union-attr]
    named = personal("draft", "--dry-run", "--to", "mary@gmail.com", "--json")
    assert named.stdout.strip() == "[]" and "never" in named.stderr
    personal("contact", "mary@gmail.com", "--again")
    assert len(personal.json("draft", "--dry-run", "--to", "mary@gmail.com")) == 1  # type: ignore[arg-type]
    missing = personal("contact", "nobody@example.org", "--json")
    assert missing.returncode == 1 and "not a contact" in missing.stderr


def test_history_is_read_again_when_new_mail_arrives(personal: Cli, dovecot: DevMail) -> None:
    first = personal.json("contact", "mary@gmail.com")
    assert first["history"]["messages"] == 2  # type: ignore[index]
    raw = _mail(
        f"Sam Carter <{ME}>",
        "Mary Jones <mary@gmail.com>",
        "Re: photos",
        d(2020, 2),
        "Dear Mary,\n\nA late thank-you.\n\nSam",
    )
    dovecot.write_maildir("Sent", raw, mtime=d(2020, 2).timestamp())
    dovecot.fix_ownership()
    personal.json("scan")
    again = personal.json("contact", "mary@gmail.com")
    history = again["history"]  # type: ignore[index]
    assert history["messages"] == 3 and history["read_because"] == "new-mail"
    assert history["register"]["formality"] == "formal"  # the latest greeting decides


def test_history_reader_searches_where_the_index_cannot_say(dovecot: DevMail) -> None:
    """No index (or a stale UIDVALIDITY): UID SEARCH in each folder, still read-only."""
    from worker.mail.history import read_histories, read_history

    fill(dovecot)
    with dovecot.client() as client:
        found = read_history(client, ["INBOX", "Sent"], "john@acme.com", [ME])
        assert [m.direction.value for m in found] == ["out", "in", "out"]
        assert found[0].body.startswith("Dear Mr. Smith,")
        stale = read_histories(
            client, ["INBOX", "Sent"], {"mary@gmail.com": {"INBOX": (1, [999])}}, [ME]
        )["mary@gmail.com"]
        assert [m.direction.value for m in stale] == ["in"]  # searched INBOX, not UID 999
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["UNSEEN"])) == 4
