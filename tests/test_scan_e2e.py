"""End to end through the CLI against a real Dovecot: every contract rule of scan/contacts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.support.dovecot import DevMail, free_port
from tests.support.factories import Cli, message, write_config
from worker.config import load_config
from worker.core import Kizuna
from worker.errors import MailServerError

AUTOMATED = {
    "list-id": {"List-Id": "<team.lists.example>"},
    "list-unsubscribe": {"List-Unsubscribe": "<mailto:leave@lists.example>"},
    "precedence-bulk": {"Precedence": "bulk"},
    "precedence-list": {"Precedence": "list"},
    "precedence-junk": {"Precedence": "junk"},
    "precedence-auto": {"Precedence": "auto_reply"},
    "auto-submitted": {"Auto-Submitted": "auto-replied"},
    "x-autoreply": {"X-Autoreply": "yes"},
    "x-autorespond": {"X-Autorespond": "yes"},
    "x-auto-response-suppress": {"X-Auto-Response-Suppress": "All"},
    "return-path": {"Return-Path": "<>"},
    "report": {"Content-Type": 'multipart/report; report-type=delivery-status; boundary="b"'},
}
AUTO_SUBJECTS = {
    "subj-automatic": "Automatic reply: hello",
    "subj-auto": "Auto reply: hello",
    "subj-ooo": "Out of Office",
    "subj-ja-auto": "=?UTF-8?B?6Ieq5YuV6L+U5L+h?=",  # 自動返信
    "subj-ja-absent": "=?UTF-8?B?5LiN5Zyo44Gu44GK55+l44KJ44Gb?=",  # 不在のお知らせ
}


def build_rule_mailbox(server: DevMail) -> None:
    """One contact (or non-contact) per rule; see the expectations in the tests."""
    w = server.write_maildir
    # alice: both ways, long ago -> dormant; last contact keeps its +09:00 offset
    w(
        "Sent",
        message(
            "Me <me@example.com>",
            "Alice <alice@example.net>",
            "Plans",
            "Sun, 01 Mar 2015 10:00:00 +0900",
        ),
    )
    w(
        "INBOX",
        message(
            "Alice A <alice@example.net>",
            "me@example.com",
            "Re: Plans",
            "Mon, 02 Mar 2015 09:00:00 +0900",
        ),
    )
    # bob: only received -> not a contact
    w(
        "INBOX",
        message("bob@example.net", "me@example.com", "hi", "Mon, 02 Mar 2015 09:00:00 +0000"),
    )
    # carol: case-insensitive, second address of mine
    w(
        "Sent",
        message(
            "Me <Me@Old-Job.Example>",
            "CAROL@Example.NET",
            "Lunch",
            "Tue, 10 May 2016 12:00:00 +0000",
        ),
    )
    w(
        "Archive",
        message(
            "Carol <carol@example.net>",
            "me@old-job.example",
            "Re: Lunch",
            "Wed, 11 May 2016 12:00:00 +0000",
        ),
    )
    # dave: recent -> contact, not dormant
    w("Sent", message("me@example.com", "dave@example.net", "x", "Thu, 01 Jan 2015 10:00:00 +0000"))
    w(
        "INBOX",
        message("dave@example.net", "me@example.com", "y", datetime.now(UTC) - timedelta(days=30)),
    )
    # frank: his reply has no Date: INTERNALDATE (the file's mtime) is used
    w(
        "Sent",
        message("me@example.com", "frank@example.net", "q", "Thu, 01 Jan 2015 10:00:00 +0000"),
    )
    w(
        "INBOX",
        message("frank@example.net", "me@example.com", "a"),
        mtime=datetime(2016, 5, 5, 8, 30, tzinfo=UTC).timestamp(),
    )
    # gina: garbage Date -> INTERNALDATE
    w("Sent", message("me@example.com", "gina@example.net", "q", "Thu, 01 Jan 2015 10:00:00 +0000"))
    w(
        "INBOX",
        message("gina@example.net", "me@example.com", "a", "the day after tomorrow"),
        mtime=datetime(2016, 6, 6, 6, 0, tzinfo=UTC).timestamp(),
    )
    # grace: her message is in INBOX and Archive (same Message-ID): counted once
    dup = message(
        "grace@example.net",
        "me@example.com",
        "dup",
        "Fri, 01 Jul 2016 10:00:00 +0000",
        message_id="<dup-1@example.net>",
    )
    w("INBOX", dup)
    w("Archive", dup)
    w(
        "Sent",
        message("me@example.com", "grace@example.net", "q", "Fri, 01 Jul 2016 09:00:00 +0000"),
    )
    # olga: her message has no Message-ID and is in INBOX and Archive: counted once too
    nomid = message(
        "olga@example.net",
        "me@example.com",
        "no id",
        "Sat, 02 Jul 2016 10:00:00 +0000",
        message_id="",
    )
    w("INBOX", nomid)
    w("Archive", nomid)
    w("Sent", message("me@example.com", "olga@example.net", "q", "Fri, 01 Jul 2016 09:00:00 +0000"))
    # heidi: my only mail to her had 21 recipients (> max_recipients 20): not sent
    crowd = [f"p{i}@crowd.example" for i in range(20)]
    w(
        "Sent",
        message(
            "me@example.com",
            ["heidi@example.net", *crowd],
            "all hands",
            "Sat, 01 Aug 2015 10:00:00 +0000",
        ),
    )
    w(
        "INBOX",
        message("heidi@example.net", "me@example.com", "hi", "Sat, 01 Aug 2015 11:00:00 +0000"),
    )
    # ivan: exactly 20 recipients qualifies
    w(
        "Sent",
        message(
            "me@example.com",
            ["ivan@example.net", *crowd[:19]],
            "team",
            "Sat, 01 Aug 2015 10:00:00 +0000",
        ),
    )
    w(
        "INBOX",
        message("ivan@example.net", "me@example.com", "re", "Sun, 02 Aug 2015 10:00:00 +0000"),
    )
    # judy: her reply is in Junk, karl's in Trash, leo's "sent" mail is a draft: none scanned
    for name, folder in (("judy", "Junk"), ("karl", "Trash")):
        w(
            "Sent",
            message(
                "me@example.com", f"{name}@example.net", "q", "Thu, 01 Jan 2015 10:00:00 +0000"
            ),
        )
        w(
            folder,
            message(
                f"{name}@example.net", "me@example.com", "a", "Fri, 02 Jan 2015 10:00:00 +0000"
            ),
        )
    w(
        "Drafts",
        message("me@example.com", "leo@example.net", "draft", "Thu, 01 Jan 2015 10:00:00 +0000"),
    )
    w("INBOX", message("leo@example.net", "me@example.com", "a", "Fri, 02 Jan 2015 10:00:00 +0000"))
    # mia: Bcc counts as sent
    w(
        "Sent",
        message(
            "me@example.com",
            "someone@example.org",
            "fyi",
            "Thu, 01 Jan 2015 10:00:00 +0000",
            bcc="mia@example.net",
        ),
    )
    w(
        "INBOX",
        message("mia@example.net", "me@example.com", "thanks", "Fri, 02 Jan 2015 10:00:00 +0000"),
    )
    # mallory: excluded by policy, still a contact, never dormant
    w(
        "Sent",
        message("me@example.com", "mallory@bank.example", "q", "Thu, 01 Jan 2015 10:00:00 +0000"),
    )
    w(
        "INBOX",
        message("mallory@bank.example", "me@example.com", "a", "Fri, 02 Jan 2015 10:00:00 +0000"),
    )
    # nana: ISO-2022-JP encoded name; the most recent message's name wins
    w(
        "Sent",
        message(
            "me@example.com",
            "=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <nana@example.jp>",
            "お久しぶりです",
            "Thu, 01 Jan 2015 10:00:00 +0900",
        ),
    )
    w(
        "INBOX",
        message(
            "=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEIyVjtSGyhC?= <nana@example.jp>",
            "me@example.com",
            "Re: お久しぶりです",
            "Fri, 02 Jan 2015 10:00:00 +0900",
        ),
    )
    # me to me: never a contact
    w(
        "Sent",
        message("me@example.com", "ME@old-job.example", "note", "Thu, 01 Jan 2015 10:00:00 +0000"),
    )
    # automated: a personal mail out, only automated mail back -> never a contact
    rules = {**AUTOMATED, **{k: {} for k in AUTO_SUBJECTS}}
    for i, (rule, headers) in enumerate(rules.items()):
        addr = f"auto{i}@example.net"
        w("Sent", message("me@example.com", addr, "q", "Thu, 01 Jan 2015 10:00:00 +0000"))
        w(
            "INBOX",
            message(
                addr,
                "me@example.com",
                AUTO_SUBJECTS.get(rule, "a"),
                "Fri, 02 Jan 2015 10:00:00 +0000",
                headers=headers,
            ),
        )
    for sender in (
        "MAILER-DAEMON@example.net",
        "postmaster@example.net",
        "no-reply@example.net",
        "noreply@example.net",
        "do-not-reply@example.net",
    ):
        w("Sent", message("me@example.com", sender, "q", "Thu, 01 Jan 2015 10:00:00 +0000"))
        w("INBOX", message(sender, "me@example.com", "a", "Fri, 02 Jan 2015 10:00:00 +0000"))
    server.fix_ownership()


EXPECTED_DORMANT = {
    "alice@example.net": "2015-03-02T09:00:00+09:00",
    "carol@example.net": "2016-05-11T12:00:00+00:00",
    "frank@example.net": "2016-05-05T08:30:00+00:00",
    "gina@example.net": "2016-06-06T06:00:00+00:00",
    "grace@example.net": "2016-07-01T10:00:00+00:00",
    "olga@example.net": "2016-07-02T10:00:00+00:00",
    "ivan@example.net": "2015-08-02T10:00:00+00:00",
    "mia@example.net": "2015-01-02T10:00:00+00:00",
    "nana@example.jp": "2015-01-02T10:00:00+09:00",
}


def _rules_cli(dovecot: DevMail, tmp_path: Path) -> Cli:
    return write_config(
        dovecot, tmp_path, policy={"exclude": ["@bank.example"]}, api={"enabled": False}
    )


def _same_instant(a: str | None, b: str) -> bool:
    return a is not None and datetime.fromisoformat(a) == datetime.fromisoformat(b)


def test_contact_rules_exact_dormant_set(dovecot: DevMail, tmp_path: Path) -> None:
    build_rule_mailbox(dovecot)
    cli = _rules_cli(dovecot, tmp_path)
    first = cli.json("scan")
    assert first["folders"] == 3  # INBOX, Sent, Archive: not Drafts, Junk, Trash
    assert first["new_messages"] == first["messages"] + 2  # grace's and olga's copies counted once

    dormant = cli.json("contacts", "--dormant")
    got = {c["email"]: c["last_contact"] for c in dormant}
    assert set(got) == set(EXPECTED_DORMANT)
    for email, when in EXPECTED_DORMANT.items():
        assert _same_instant(got[email], when), (email, got[email], when)
    # offsets of the original Date header are kept
    assert got["alice@example.net"] == "2015-03-02T09:00:00+09:00"
    # most dormant first
    stamps = [datetime.fromisoformat(c["last_contact"]) for c in dormant]
    assert stamps == sorted(stamps)

    everyone = {c["email"]: c for c in cli.json("contacts")}
    assert set(everyone) == set(EXPECTED_DORMANT) | {"dave@example.net", "mallory@bank.example"}
    assert everyone["grace@example.net"]["received_count"] == 1
    assert everyone["olga@example.net"]["received_count"] == 1
    assert everyone["carol@example.net"]["name"] == "Carol"
    assert everyone["alice@example.net"]["name"] == "Alice A"
    assert everyone["nana@example.jp"]["name"] == "山田 花子"
    assert everyone["alice@example.net"]["last_sent"] == "2015-03-01T10:00:00+09:00"
    assert everyone["alice@example.net"]["last_received"] == "2015-03-02T09:00:00+09:00"
    for c in everyone.values():
        assert c["email"] == c["email"].lower()
        assert c["sent_count"] >= 1 and c["received_count"] >= 1
    assert first["contacts"] == len(everyone)


def test_rescan_is_incremental_and_sees_new_mail_anywhere(cli: Cli, dovecot: DevMail) -> None:
    dovecot.write_maildir(
        "Sent", message("me@example.com", "old@example.net", "q", "Thu, 01 Jan 2015 10:00:00 +0000")
    )
    dovecot.fix_ownership()
    assert cli.json("scan")["new_messages"] == 1
    again = cli.json("scan")
    assert again["new_messages"] == 0 and again["messages"] == 1
    assert cli.json("contacts") == []
    # the reply lands in a folder the user made later
    dovecot.append(
        "Projects/2015",
        message("old@example.net", "me@example.com", "re", "Fri, 02 Jan 2015 10:00:00 +0000"),
    )
    third = cli.json("scan")
    assert third["new_messages"] == 1 and third["folders"] == 4
    assert [c["email"] for c in cli.json("contacts")] == ["old@example.net"]


def _fill(server: DevMail, n: int) -> None:
    for i in range(n):
        server.write_maildir(
            "INBOX",
            message(
                f"p{i % 7}@example.net",
                "me@example.com",
                f"m{i}",
                f"Thu, 01 Jan 2015 10:{i % 60:02d}:00 +0000",
            ),
        )
        server.write_maildir(
            "Sent",
            message(
                "me@example.com",
                f"p{i % 7}@example.net",
                f"r{i}",
                f"Fri, 02 Jan 2015 10:{i % 60:02d}:00 +0000",
            ),
        )
    server.fix_ownership()


def test_interrupted_scan_resumes_to_the_same_index(dovecot: DevMail, tmp_path: Path) -> None:
    _fill(dovecot, 30)
    cut = write_config(dovecot, tmp_path / "cut", api={"enabled": False})
    whole = write_config(dovecot, tmp_path / "whole", api={"enabled": False})
    batches = []

    def kill_after_two(folder: str, count: int) -> None:
        batches.append(count)
        if len(batches) == 2:
            dovecot.kick()  # the server drops the connection mid-scan

    with Kizuna(load_config(cut.config)) as kizuna, pytest.raises(MailServerError):
        kizuna.scan(batch_size=5, on_batch=kill_after_two, progress=False)
    partial = Kizuna(load_config(cut.config))
    kept = partial.store.message_count()
    partial.close()
    assert 10 <= kept < 60  # what was committed survived
    resumed = cut.json("scan")
    assert resumed["new_messages"] == 60 - kept
    assert whole.json("scan")["messages"] == resumed["messages"] == 60
    assert cut.json("contacts") == whole.json("contacts")


def test_a_first_scan_searches_only_folders_with_gaps_in_their_uids(
    dovecot: DevMail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # INBOX holds UIDs 1-30 (MESSAGES = UIDNEXT - 1): they are known from
    # STATUS. Sent lost a message in the middle (UIDs 1-14, 16-30): it is
    # searched. Either way the state is what a search would have given.
    _fill(dovecot, 30)
    with dovecot.client() as client:
        client.select_folder("Sent")
        client.delete_messages([15])
        client.expunge()
    events: list[tuple[str, object]] = []
    real_search, real_select = IMAPClient.search, IMAPClient.select_folder

    def noting_search(
        self: IMAPClient, criteria: object = "ALL", charset: str | None = None
    ) -> object:
        events.append(("search", criteria))
        return real_search(self, criteria, charset)

    def noting_select(self: IMAPClient, folder: str, readonly: bool = False) -> object:
        events.append(("select", folder))
        return real_select(self, folder, readonly)

    monkeypatch.setattr(IMAPClient, "search", noting_search)
    monkeypatch.setattr(IMAPClient, "select_folder", noting_select)
    cli = write_config(dovecot, tmp_path / "gaps", api={"enabled": False})
    with Kizuna(load_config(cli.config)) as kizuna:
        assert kizuna.scan(batch_size=7, progress=False).new_messages == 59
        uids = {
            folder: {
                row[0]
                for row in kizuna.store.query(
                    "SELECT uid FROM messages WHERE folder = ?", (folder,)
                )
            }
            for folder in ("INBOX", "Sent")
        }
    assert uids == {"INBOX": set(range(1, 31)), "Sent": set(range(1, 31)) - {15}}
    searched_in, selected = set(), None
    for kind, what in events:
        if kind == "select":
            selected = what
        else:
            searched_in.add(selected)
    assert searched_in == {"Sent"}, events


def test_uidvalidity_change_does_not_double_count(cli: Cli, dovecot: DevMail) -> None:
    raw_in = message("zoe@example.net", "me@example.com", "a", "Fri, 02 Jan 2015 10:00:00 +0000")
    raw_out = message("me@example.com", "zoe@example.net", "q", "Thu, 01 Jan 2015 10:00:00 +0000")
    dovecot.append("Archive", raw_in)
    dovecot.append("Sent", raw_out)
    assert cli.json("scan")["messages"] == 2
    with dovecot.client() as client:
        before = client.select_folder("Archive")[b"UIDVALIDITY"]
        client.close_folder()
        client.delete_folder("Archive")
        client.create_folder("Archive")
        time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
        client.delete_folder("Archive")
        client.create_folder("Archive")
        client.append("Archive", raw_in)
        assert client.select_folder("Archive")[b"UIDVALIDITY"] != before
    again = cli.json("scan")
    assert again["messages"] == 2
    [zoe] = cli.json("contacts")
    assert zoe["received_count"] == 1 and zoe["sent_count"] == 1


def test_scan_leaves_flags_untouched(cli: Cli, dovecot: DevMail) -> None:
    for i in range(5):
        dovecot.append(
            "INBOX",
            message(
                f"u{i}@example.net", "me@example.com", f"s{i}", "Fri, 02 Jan 2015 10:00:00 +0000"
            ),
            flags=() if i % 2 else (b"\\Seen",),
        )

    def snapshot() -> dict[int, tuple[bytes, ...]]:
        with dovecot.client() as client:
            client.select_folder("INBOX", readonly=True)
            return {
                uid: tuple(sorted(d[b"FLAGS"]))
                for uid, d in client.fetch(client.search(["ALL"]), ["FLAGS"]).items()
            }

    before = snapshot()
    assert sum(b"\\Seen" not in f for f in before.values()) == 2
    cli.json("scan")
    assert snapshot() == before


def test_hostile_headers_index_without_failing(cli: Cli, dovecot: DevMail) -> None:
    hostile = [
        b"From: hostile@example.net\r\nTo: me@example.com\r\nSubject: no date\r\n\r\nx",
        b"From: hostile@example.net\r\nTo: me@example.com\r\nDate: 45 Smarch 99999 99:99\r\n\r\nx",
        b"From: =?x-unknown?B?////?= <hostile@example.net>\r\nTo: me@example.com\r\n"
        b"Subject: =?utf-8?Q?broken=ZZ?=\r\nDate: Fri, 02 Jan 2015 10:00:00 +0000\r\n\r\nx",
        b"From: \xff\xfe\x81 <hostile@example.net>\r\nTo: me@example.com\r\nSubject: \x8e\xa0\xff\r\n\r\nx",
        b"From: hostile@example.net\r\nTo: "
        + b", ".join(b"r%d@example.org" % i for i in range(10000))
        + b"\r\nSubject: huge\r\n\r\nx",
        b"From: me@example.com\r\nTo: hostile@example.net\r\nDate: Fri, 02 Jan 1970 00:00:00 +0000\r\n\r\nx",
        b"From: me@example.com\r\nTo: hostile@example.net\r\nDate: Fri, 02 Jan 2099 00:00:00 +0000\r\n\r\nx",
    ]
    for raw in hostile:
        dovecot.write_maildir("INBOX", raw, mtime=datetime(2016, 1, 1, tzinfo=UTC).timestamp())
    dovecot.fix_ownership()
    result = cli.json("scan")
    assert result["new_messages"] == len(hostile)
    [contact] = cli.json("contacts")
    assert contact["email"] == "hostile@example.net"
    assert contact["received_count"] == 4  # the 10,000-recipient message is over the cap


def test_missing_config_key_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[account]\nhost = "127.0.0.1"\nusername = "u"\naddresses = ["a@b.c"]\nbogus = 1\n'
    )
    done = Cli(config, tmp_path)("contacts")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "account.bogus" in done.stderr
    config.write_text(
        '[account]\nhost = "127.0.0.1"\nport = "x"\nusername = "u"\naddresses = ["a@b.c"]\n'
    )
    done = Cli(config, tmp_path)("scan")
    assert done.returncode == 2 and "account.port" in done.stderr
    done = Cli(tmp_path / "nope.toml", tmp_path)("scan")
    assert done.returncode == 2 and "nope.toml" in done.stderr


def test_wrong_password_exits_1_authentication_failed(dovecot: DevMail, tmp_path: Path) -> None:
    cli = write_config(dovecot, tmp_path)
    cli.config.write_text(cli.config.read_text().replace(dovecot.password, "wrong"))
    done = cli("scan")
    assert done.returncode == 1
    assert "authentication failed" in done.stderr and done.stderr.count("\n") == 1
    assert "wrong" not in done.stderr


def test_unreachable_host_names_host_and_port(tmp_path: Path) -> None:

    port = free_port()
    config = tmp_path / "c.toml"
    config.write_text(
        f'[account]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nusername = "u"\n'
        f'password = "p"\naddresses = ["a@b.c"]\n[state]\npath = "{tmp_path}/s.db"\n'
    )
    done = Cli(config, tmp_path)("scan")
    assert done.returncode == 1
    assert f"127.0.0.1:{port}" in done.stderr and done.stderr.count("\n") == 1
