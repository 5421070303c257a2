"""Thanks that answer the reply and gifts that fit the favour: ``kizuna run`` on a real Dovecot.

Eight dormant contacts, four writing English and four Japanese. Kizuna drafts a
reconnection to each; the user sends them from a mail client; each contact
answers with a real reply of one kind (help or advice, a proposed time, a
"not now", simple gladness), quoting the user's message as mail clients do.
The daemon writes one threaded thank-you draft per reply that answers it, in
the register of the reconnection and in the contact's language, and prompts
the user in the user's language. Later, the user says what each contact did
and the gift reminder scales: a note for a reply, coffee or tea for a call,
a real gift for an introduction or work.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.support.daemon import DaemonProcess, wait_for
from tests.support.dovecot import DevMail
from tests.support.factories import Cli, message, write_config

pytestmark = pytest.mark.dovecot

ME = "me@example.com"


class Person:
    def __init__(self, email_: str, name: str, subject: str, mine: str, theirs: str) -> None:
        self.email, self.name, self.subject, self.mine, self.theirs = (
            email_,
            name,
            subject,
            mine,
            theirs,
        )


EN = [
    Person(
        "alice@example.net",
        "Alice Smith",
        "Berlin conference",
        "Hi Alice,\r\n\r\nSee you in Berlin!",
        "Hi,\r\n\r\nSee you there.",
    ),
    Person(
        "bob@example.org",
        "Bob Jones",
        "Design review",
        "Hi Bob,\r\n\r\nNotes attached.",
        "Thanks, got them.",
    ),
    Person(
        "carol@example.com",
        "Carol White",
        "Workshop",
        "Dear Carol,\r\n\r\nThank you for the workshop.",
        "Dear Ken,\r\n\r\nMy pleasure.",
    ),
    Person("dan@example.co.uk", "Dan Brown", "Lunch", "Hi Dan,\r\n\r\nLunch on Friday?", "Sure!"),
]
JA = [
    Person(
        "taro@abc.co.jp",
        "株式会社ABC 山田 太郎",
        "打ち合わせの件",
        "山田様\r\n\r\nお世話になっております。",
        "お世話になっております。",
    ),
    Person(
        "hanako@example.jp",
        "佐藤 花子",
        "勉強会",
        "佐藤さん\r\n\r\n勉強会ありがとうございました。",
        "こちらこそありがとうございました。",
    ),
    Person(
        "ken@example.ne.jp",
        "鈴木 健",
        "資料",
        "鈴木さん\r\n\r\n資料をお送りします。",
        "受け取りました。",
    ),
    Person(
        "yumi@example.jp",
        "高橋 由美",
        "ご相談",
        "高橋様\r\n\r\nご相談の件です。",
        "承知いたしました。",
    ),
]

# The contact's new words, one kind each; the quoted reconnection follows them.
REPLIES = {
    "alice@example.net": "Happy to introduce you to Mark — I've cc'd him here. My advice: start with one small project.",
    "bob@example.org": "Lovely to hear from you! I can't make Tuesday, but Thursday at 3 works.",
    "carol@example.com": "It's been a tough year and I'm swamped until March, so I can't help right now. Maybe later in the year?",
    "dan@example.co.uk": "What a lovely surprise! It's been far too long. We moved to Lisbon last spring.",
    "taro@abc.co.jp": "大変ご無沙汰しております。喜んでご紹介いたします。先方にも一言伝えておきます。",
    "hanako@example.jp": "お久しぶりです！来週火曜の15時はいかがでしょうか。",
    "ken@example.ne.jp": "今は仕事が立て込んでいて、対応できかねます。落ち着いたらまた連絡しますね。",
    "yumi@example.jp": "大変ご無沙汰しております。お元気そうで何よりです。",
}
KINDS = {
    "alice@example.net": "offers_help",
    "bob@example.org": "proposes_time",
    "carol@example.com": "declines",
    "dan@example.co.uk": "glad_only",
    "taro@abc.co.jp": "offers_help",
    "hanako@example.jp": "proposes_time",
    "ken@example.ne.jp": "declines",
    "yumi@example.jp": "glad_only",
}
# What each thank-you must say, by kind and language.
ANSWERS = {
    ("offers_help", "en"): ["for your help", "[what you'll try first]"],
    ("proposes_time", "en"): ["Thursday at 3 works for me."],
    ("declines", "en"): ["completely understand", "whenever the timing is better"],
    ("glad_only", "en"): ["a real pleasure to hear from you", "[A line about their news]"],
    ("offers_help", "ja"): ["お時間を割いていただき", "[最初に取り組むこと]"],
    ("proposes_time", "ja"): ["来週火曜の15時で"],
    ("declines", "ja"): ["気に", "近況"],
    ("glad_only", "ja"): ["[近況へのひとこと]"],
}
TIRED = {
    "carol@example.com",
    "ken@example.ne.jp",
}  # "tough year", 「立て込んで」; not 「大変ご無沙汰」

_CASUAL_JA = re.compile(r"ね。|よ。|てね|くださいね|だよ|かな|気軽に")
_FORMAL_ONLY_JA = re.compile(
    r"存じ|申し上げ|承知いたし|誠に|ございましたら|幸いです|しております|何卒"
)


def _mailbox(server: DevMail, people: list[Person]) -> None:
    for i, p in enumerate(people):
        sent = datetime(2016, 1, 4 + i, 10, tzinfo=UTC)
        server.write_maildir(
            "Sent",
            message(ME, f"{p.name} <{p.email}>", p.subject, sent, body=p.mine + "\r\n"),
        )
        server.write_maildir(
            "INBOX",
            message(
                f"{p.name} <{p.email}>",
                ME,
                "Re: " + p.subject,
                sent.replace(hour=18),
                body=p.theirs + "\r\n",
            ),
        )
    server.fix_ownership()


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _folder(server: DevMail, folder: str, criteria: list[object]) -> list[EmailMessage]:
    with server.client() as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(criteria)
        fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    return [_parse(d[b"BODY[]"]) for _, d in sorted(fetched.items())]


def _send_all_like_a_client(server: DevMail) -> dict[str, EmailMessage]:
    """Every draft to Sent without \\Draft, then gone from Drafts."""
    with server.client() as client:
        client.select_folder("Drafts")
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["BODY.PEEK[]"])
        sent = {}
        for uid in uids:
            raw = fetched[uid][b"BODY[]"]
            client.append("Sent", raw, flags=(b"\\Seen",))
            msg = _parse(raw)
            sent[msg["To"].addresses[0].addr_spec] = msg
        client.delete_messages(uids)
        client.expunge()
    return sent


def _reply(person: Person, sent: EmailMessage, when: datetime) -> bytes:
    """The contact's reply: their words on top, the user's message quoted below."""
    quoted = "\r\n".join(
        "> " + line if line else ">" for line in sent.get_content().rstrip("\n").split("\n")
    )
    body = (
        f"{REPLIES[person.email]}\r\n\r\n"
        f"On {format_datetime(when)}, Kizuna Tester <{ME}> wrote:\r\n{quoted}\r\n"
    )
    return message(
        f"{person.name} <{person.email}>",
        ME,
        "Re: " + str(sent["Subject"]),
        when,
        message_id=f"<reply-{person.email}>",
        headers={"In-Reply-To": str(sent["Message-ID"]), "References": str(sent["Message-ID"])},
        body=body,
    )


def _paras(body: str) -> list[str]:
    return [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]


def _setup(dovecot: DevMail, tmp_path: Path, people: list[Person], user_language: str) -> Cli:
    _mailbox(dovecot, people)
    cli = write_config(
        dovecot,
        tmp_path,
        account={"language": user_language},
        api={"enabled": False},
        outreach={"max_drafts_per_run": 10},
        daemon={"poll_seconds": 1, "scan_interval_minutes": 0.5, "idle_renew_seconds": 60},
        reminders={"gift_after_days": 14, "keep_in_touch_days": 180},
    )
    assert cli.json("scan")["contacts"] == len(people)
    made = cli.json("draft", *[a for p in people for a in ("--to", p.email)])
    assert len(made) == len(people)  # type: ignore[arg-type]
    return cli


def _replies_and_thanks(
    cli: Cli, dovecot: DevMail, daemon: DaemonProcess, people: list[Person]
) -> tuple[dict[str, EmailMessage], dict[str, EmailMessage], dict[str, EmailMessage]]:
    sent = _send_all_like_a_client(dovecot)
    wait_for(
        lambda: daemon.log().count("event=sent ") >= len(people),
        what="every reconnection to be noticed as sent",
    )
    when = datetime.now(UTC).replace(microsecond=0)
    for p in people:
        dovecot.append("INBOX", _reply(p, sent[p.email], when))
    wait_for(
        lambda: (
            len(_folder(dovecot, "Drafts", ["ALL"])) == len(people)
            and len(_folder(dovecot, "INBOX", ["HEADER", "X-Kizuna-Kind", "thank-you"]))
            == len(people)
        ),
        timeout=60,
        what="a thank-you draft and prompt per reply",
    )
    drafts = {d["To"].addresses[0].addr_spec: d for d in _folder(dovecot, "Drafts", ["ALL"])}
    prompts = {}
    for prompt in _folder(dovecot, "INBOX", ["HEADER", "X-Kizuna-Kind", "thank-you"]):
        found = re.search(r"[\w.+-]+@[\w.-]+", prompt.get_content())
        assert found
        prompts[found.group()] = prompt
    return sent, drafts, prompts


def _check_thanks(
    people: list[Person],
    sent: dict[str, EmailMessage],
    drafts: dict[str, EmailMessage],
    language: str,
) -> None:
    for p in people:
        draft = drafts[p.email]
        body = draft.get_content()
        kind = KINDS[p.email]
        # threaded under their reply
        assert draft["In-Reply-To"] == f"<reply-{p.email}>"
        assert f"<reply-{p.email}>" in draft["References"]
        assert draft["Subject"] == "Re: " + str(sent[p.email]["Subject"])
        assert draft["X-Kizuna-Id"].startswith("thanks-")
        # it answers what they wrote
        for words in ANSWERS[(kind, language)]:
            assert words in body, (p.email, words, body)
        if kind != "offers_help":
            assert "your help" not in body and "お力添え" not in body
        # the register of the reconnection: same greeting, no company prefix
        greeting = _paras(sent[p.email].get_content())[0]
        if "株式会社" in greeting:  # the composer's old company-prefixed greeting: not repeated
            assert _paras(body)[0] in ("山田様", "山田さん"), body
        else:
            assert _paras(body)[0] == greeting, body
        assert "株式会社" not in body
        if language == "ja":
            if _paras(body)[0].endswith("様"):
                assert not _CASUAL_JA.search(body), body
            else:
                assert not _FORMAL_ONLY_JA.search(body), body
            assert "心より感謝しております" not in body


@pytest.fixture
def daemon_log(tmp_path: Path) -> Path:
    return tmp_path / "daemon.log"


@pytest.fixture
def running() -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    try:
        yield started
    finally:
        for d in started:
            d.cleanup()


def test_english_user_thanks_per_kind_and_gifts_that_fit(
    dovecot: DevMail, tmp_path: Path, running: list[DaemonProcess]
) -> None:
    people = EN + JA
    cli = _setup(dovecot, tmp_path, people, "en")
    daemon = DaemonProcess(cli, tmp_path / "daemon.log").start()
    running.append(daemon)
    sent, drafts, prompts = _replies_and_thanks(cli, dovecot, daemon, people)

    _check_thanks(EN, sent, drafts, "en")
    _check_thanks(JA, sent, drafts, "ja")
    assert "event=tone_warning" not in daemon.log()  # Kizuna's own words never warn

    # the prompts speak the user's language and name the person, never the company
    taro = prompts["taro@abc.co.jp"]
    assert taro["Subject"] == "[Kizuna] Say thank you to 山田 太郎"
    assert "They offered help or advice." in taro.get_content()
    assert "> 大変ご無沙汰しております。" in taro.get_content()
    bob = prompts["bob@example.org"]
    assert bob["Subject"] == "[Kizuna] Say thank you to Bob Jones"
    assert 'They proposed a time: "Thursday at 3"' in bob.get_content()

    # what the reply said is kept for the gift
    reminders = [r for r in cli.json("reminders") if r["kind"] == "gift"]  # type: ignore[union-attr]
    gifts = {r["email"]: r["id"] for r in reminders}
    assert len(gifts) == len(people) and all(r["favour"] is None for r in reminders)
    log = daemon.log()
    for p in people:
        assert f"event=reply email={p.email} " in log
        assert re.search(rf"event=reply email={re.escape(p.email)} .* kind={KINDS[p.email]} ", log)
        tired = "True" if p.email in TIRED else "False"
        assert re.search(rf"event=reply email={re.escape(p.email)} .* tired={tired}\b", log), (
            p.email
        )

    # the user says what four of them did; one is left for the mail to ask
    told = {
        "alice@example.net": "introduction",  # not tired: wine first
        "carol@example.com": "call",  # tired: tea before coffee, never wine
        "taro@abc.co.jp": "work",
        "hanako@example.jp": "reply",  # a note, no gift
    }
    for who, favour in told.items():
        done = cli("reminders", "favour", str(gifts[who]), favour)
        assert done.returncode == 0, done.stderr
    out = cli("reminders", "favour", str(gifts["dan@example.co.uk"]), "advice", "--json")
    assert out.returncode == 0 and "coffee" in out.stdout and '"favour": "advice"' in out.stdout
    wrong = cli("reminders", "favour", str(gifts["ken@example.ne.jp"]), "dinner")
    assert wrong.returncode == 2
    for who in (*told, "dan@example.co.uk", "yumi@example.jp"):
        assert cli("reminders", "snooze", str(gifts[who]), "0").returncode == 0
    wait_for(
        lambda: len(_folder(dovecot, "INBOX", ["HEADER", "X-Kizuna-Kind", "gift"])) == 6,
        timeout=30,
        what="six gift prompts",
    )
    by_who = {}
    for prompt in _folder(dovecot, "INBOX", ["HEADER", "X-Kizuna-Kind", "gift"]):
        found = re.search(r"[\w.+-]+@[\w.-]+", prompt.get_content())
        assert found
        by_who[found.group()] = (prompt["Subject"], prompt.get_content())

    subject, alice = by_who["alice@example.net"]
    assert subject == "[Kizuna] A thank-you gift for Alice Smith?"
    assert "What they did: an introduction or referral." in alice
    assert alice.index("wine") < alice.index("gift card") and "spa" not in alice
    _, carol = by_who["carol@example.com"]
    assert "What they did: a call." in carol and "sounded tired" in carol
    assert carol.index("tea") < carol.index("coffee") and "wine" not in carol
    _, taro_gift = by_who["taro@abc.co.jp"]
    assert "山田 太郎" in taro_gift and "株式会社" not in taro_gift
    assert "What they did: real work." in taro_gift and "wine" in taro_gift
    _, hanako = by_who["hanako@example.jp"]
    assert "What they did: a reply." in hanako and "wine" not in hanako and "coffee" not in hanako
    _, yumi = by_who["yumi@example.jp"]  # not told: the mail asks, and shows the scale
    assert f"kizuna reminders favour {gifts['yumi@example.jp']} call" in yumi
    assert "- a reply:" in yumi and "- a call or advice:" in yumi and "spa" not in yumi
    assert len(_folder(dovecot, "Drafts", ["ALL"])) == len(people)  # nothing drafted twice


def test_japanese_user_prompts_and_tone_warnings_in_the_log(
    dovecot: DevMail, tmp_path: Path, running: list[DaemonProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [EN[1], JA[0]]  # Bob proposes a time (English), 山田 太郎 offers help (Japanese)
    cli = _setup(dovecot, tmp_path, people, "ja")
    # the user's own thank-you template pushes: the daemon logs it, the draft stays as written
    config_home = tmp_path / "xdg"
    templates = config_home / "kizuna" / "templates"
    templates.mkdir(parents=True)
    (templates / "thank_you_en.txt.j2").write_text(
        "Subject: {{ subject }}\n\n{{ greeting }}\n\n{% for p in paragraphs %}{{ p }}\n\n"
        "{% endfor %}Please confirm by Friday.\n\n{{ closing }}\n{{ signature }}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    daemon = DaemonProcess(cli, tmp_path / "daemon.log").start()
    running.append(daemon)
    sent, drafts, prompts = _replies_and_thanks(cli, dovecot, daemon, people)

    _check_thanks([EN[1]], sent, drafts, "en")
    _check_thanks([JA[0]], sent, drafts, "ja")
    bob_draft = drafts["bob@example.org"].get_content()
    assert "Please confirm by Friday." in bob_draft
    warnings = [ln for ln in daemon.log().splitlines() if "event=tone_warning" in ln]
    assert len(warnings) == 1, warnings
    line = warnings[0]
    assert "email=bob@example.org" in line and "draft=thank-you" in line
    assert "category=deadline" in line
    assert "「Please confirm by Friday」" in line  # worded for a Japanese-speaking user
    assert "期限" in line or "締め切り" in line or "急" in line
    assert "期限" not in bob_draft and "Friday」" not in bob_draft  # never inside the draft

    taro = prompts["taro@abc.co.jp"]
    assert taro["Subject"] == "[Kizuna] 山田 太郎さんにお礼を"
    assert "お力添えの申し出" in taro.get_content() and "やること：" in taro.get_content()
    bob = prompts["bob@example.org"]
    assert bob["Subject"] == "[Kizuna] Bob Jones さんにお礼を"
    assert "「Thursday at 3」と日時のご提案がありました" in bob.get_content()

    gift = next(
        r for r in cli.json("reminders") if r["kind"] == "gift" and r["email"] == "taro@abc.co.jp"
    )  # type: ignore[union-attr, index]
    assert cli("reminders", "snooze", str(gift["id"]), "0").returncode == 0  # type: ignore[index]
    wait_for(
        lambda: _folder(dovecot, "INBOX", ["HEADER", "X-Kizuna-Kind", "gift"]),
        timeout=30,
        what="the gift prompt",
    )
    (prompt,) = _folder(dovecot, "INBOX", ["HEADER", "X-Kizuna-Kind", "gift"])
    assert prompt["Subject"] == "[Kizuna] 山田 太郎さんへの贈り物"
    text = prompt.get_content()
    assert "山田 太郎さんは何をしてくれましたか。" in text
    assert "- 返信：" in text and "- 紹介や仕事の協力：ワイン" in text
    assert "「完了」" in text and "「見送る」" in text
