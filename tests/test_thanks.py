"""Thank-you drafts that answer the reply, in the register the two used (worker.followup.thanks).

Real reply texts, as a mail client delivers them: the contact's new words on
top, the user's own message quoted below (its greeting is how the user greets
them). The daemon path on Dovecot is in tests/test_thanks_e2e.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.errors import UsageError
from worker.followup.delivery import prompt_for
from worker.followup.thanks import quoted_text, reply_register, thank_you_draft
from worker.mail.replyparse import strip_quoted
from worker.model import Contact
from worker.outreach.compose import Profile
from worker.store import Store
from worker.store.reminders import Reminders
from worker.words.replies import ReplyKind

ALICE = Contact("alice@example.net", "Alice Smith", None, None, None, None, 3, 2)
TARO = Contact("taro@abc.co.jp", "株式会社ABC 山田 太郎", None, None, None, None, 3, 2)
KEN = Contact("ken@gmail.com", "佐藤 健", None, None, None, None, 3, 2)
ME_EN = Profile("Kizuna Tester", "")
ME_JA = Profile("田中 花子", "")

MINE_EN = "\n\nOn Mon, 2 Mar 2026, Kizuna Tester <me@example.com> wrote:\n> Hi Alice,\n>\n> It has been a while.\n"
MINE_EN_FORMAL = "\n\nOn Mon, 2 Mar 2026, Kizuna Tester <me@example.com> wrote:\n> Dear Ms. Smith,\n>\n> It has been a while.\n"
MINE_JA_FORMAL = "\n\n2026年3月2日(月) 10:00 田中 花子 <me@example.com>:\n> 株式会社ABC\n> 山田様\n>\n> ご無沙汰しております。\n"
MINE_JA_CASUAL = (
    "\n\n2026年3月2日(月) 10:00 田中 花子 <me@example.com>:\n> 健さん\n>\n> お久しぶりです。\n"
)


def _draft(contact: Contact, profile: Profile, language: str, whole: str, **kw: object):
    return thank_you_draft(
        contact,
        profile,
        language,
        "Re: Hello",
        new_text=strip_quoted(whole),
        reply_text=whole,
        **kw,
    )


def _paras(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]


# --- English, per kind ------------------------------------------------------------


def test_en_offers_help_thanks_for_it_with_a_line_to_fill_in() -> None:
    whole = (
        "Happy to introduce you to Mark — I've cc'd him here. Mark, meet my old friend!" + MINE_EN
    )
    t = _draft(ALICE, ME_EN, "en", whole)
    assert t.kind is ReplyKind.OFFERS_HELP
    body = t.draft.body
    assert _paras(body)[0] == "Hi Alice,"
    assert "and for your help" in body and "[what you'll try first]" in body
    assert body.endswith("Warm regards,\nKizuna Tester\n")
    assert t.draft.subject == "Re: Hello"
    assert t.warnings == ()


def test_en_proposed_time_is_confirmed() -> None:
    whole = "Lovely to hear from you! I can't make Tuesday, but Thursday at 3 works." + MINE_EN
    t = _draft(ALICE, ME_EN, "en", whole)
    assert t.kind is ReplyKind.PROPOSES_TIME and t.reading.time_phrase == "Thursday at 3"
    assert "Thursday at 3 works for me." in t.draft.body
    assert "Tuesday" not in t.draft.body
    assert "your help" not in t.draft.body


def test_en_decline_is_accepted_and_the_door_kept_open() -> None:
    whole = "I'd love to help, but I'm swamped until March. Maybe later in the year?" + MINE_EN
    t = _draft(ALICE, ME_EN, "en", whole)
    assert t.kind is ReplyKind.DECLINES
    body = t.draft.body.lower()
    assert "completely understand" in body and "whenever the timing is better" in body
    assert "help" not in body  # they did not help: never thank them for it


def test_en_glad_only() -> None:
    whole = (
        "What a lovely surprise! It's been far too long. We moved to Lisbon last year." + MINE_EN
    )
    t = _draft(ALICE, ME_EN, "en", whole)
    assert t.kind is ReplyKind.GLAD_ONLY
    assert "[A line about their news]" in t.draft.body


def test_en_formal_history_stays_formal() -> None:
    whole = "Dear Kizuna,\n\nTuesday at 10am would suit me." + MINE_EN_FORMAL
    t = _draft(ALICE, ME_EN, "en", whole)
    assert _paras(t.draft.body)[0] == "Dear Ms. Smith,"
    assert t.draft.body.endswith("Kind regards,\nKizuna Tester\n")
    assert "Tuesday at 10am works for me." in t.draft.body


def test_their_greeting_decides_when_mine_is_not_quoted() -> None:
    t = _draft(ALICE, ME_EN, "en", "Hi Kizuna!\n\nSo nice to hear from you after all these years.")
    assert t.register.source == "theirs" and not t.register.formal
    assert _paras(t.draft.body)[0] == "Hi Alice,"


# --- Japanese, per kind, one politeness level --------------------------------------

_CASUAL = re.compile(r"ね。|よ。|てね|くださいね|だよ|かな|気軽に")
_FORMAL_ONLY = re.compile(
    r"存じ|申し上げ|承知いたし|誠に|ございましたら|幸いです|しております|何卒"
)

JA_FORMAL_REPLIES = [
    (
        "大変ご無沙汰しております。喜んでご紹介いたします。先方にも一言伝えておきます。",
        ReplyKind.OFFERS_HELP,
    ),
    ("ご連絡ありがとうございます。来週火曜の15時はいかがでしょうか。", ReplyKind.PROPOSES_TIME),
    ("申し訳ないのですが、今は時間が取れそうにありません。", ReplyKind.DECLINES),
    ("ご無沙汰しております。お元気そうで何よりです。", ReplyKind.GLAD_ONLY),
]
JA_CASUAL_REPLIES = [
    ("久しぶり！ぜひお手伝いさせてください。知り合いに声をかけてみますね。", ReplyKind.OFFERS_HELP),
    ("懐かしいですね。週明けの月曜日、お昼でもいかがですか。", ReplyKind.PROPOSES_TIME),
    (
        "今は仕事が立て込んでいて、対応できかねます。落ち着いたらまた連絡しますね。",
        ReplyKind.DECLINES,
    ),
    ("びっくりしました！ 連絡くれてありがとう。", ReplyKind.GLAD_ONLY),
]


@pytest.mark.parametrize(("text", "kind"), JA_FORMAL_REPLIES)
def test_ja_formal_keeps_keigo_throughout(text: str, kind: ReplyKind) -> None:
    t = _draft(TARO, ME_JA, "ja", text + MINE_JA_FORMAL)
    assert t.kind is kind
    body = t.draft.body
    assert _paras(body)[0] == "山田様"  # no company prefix
    assert "株式会社" not in body
    assert not _CASUAL.search(body), body
    assert "何卒よろしくお願いいたします。" in body
    assert body.endswith("田中 花子\n")
    assert t.warnings == ()


@pytest.mark.parametrize(("text", "kind"), JA_CASUAL_REPLIES)
def test_ja_san_stays_polite_never_business_keigo(text: str, kind: ReplyKind) -> None:
    t = _draft(KEN, ME_JA, "ja", text + MINE_JA_CASUAL)
    assert t.kind is kind
    body = t.draft.body
    assert _paras(body)[0] == "健さん"  # as the user greeted him
    assert not _FORMAL_ONLY.search(body), body
    assert "心より感謝" not in body
    assert t.warnings == ()


def test_ja_help_takes_their_time_with_the_right_words() -> None:
    formal = _draft(TARO, ME_JA, "ja", JA_FORMAL_REPLIES[0][0] + MINE_JA_FORMAL).draft.body
    casual = _draft(KEN, ME_JA, "ja", JA_CASUAL_REPLIES[0][0] + MINE_JA_CASUAL).draft.body
    for body in (formal, casual):
        assert "お時間を割いていただき" in body
        assert "時間を割いてくださった" not in body
        assert "いただいたお言葉を励みに" not in body
    assert "[最初に取り組むこと]" in formal


def test_ja_proposed_time_is_confirmed() -> None:
    body = _draft(TARO, ME_JA, "ja", JA_FORMAL_REPLIES[1][0] + MINE_JA_FORMAL).draft.body
    assert "来週火曜の15時で承知いたしました。" in body


def test_ja_decline_keeps_the_door_open() -> None:
    body = _draft(KEN, ME_JA, "ja", JA_CASUAL_REPLIES[2][0] + MINE_JA_CASUAL).draft.body
    assert "気にしないでください" in body and "近況を聞かせてください" in body
    assert "お力添え" not in body


def test_an_english_draft_to_a_japanese_contact_greets_in_latin_letters() -> None:
    contact = Contact("taro@abc.co.jp", "YAMADA Taro", None, None, None, None, 1, 1)
    whole = "Thanks for the note, it was good to hear your news." + (
        "\n\nOn Mon, Me wrote:\n> Hi Yamada-san,\n>\n> hello\n"
    )
    t = _draft(contact, ME_EN, "en", whole)
    assert _paras(t.draft.body)[0] == "Hi Yamada-san,"


# --- tone: checked, logged by the caller, never inside the draft -------------------


def test_a_users_pushy_template_is_warned_about_but_left_as_written(tmp_path: Path) -> None:
    (tmp_path / "thank_you_en.txt.j2").write_text(
        "Subject: {{ subject }} — reply ASAP\n\n{{ greeting }}\n\n"
        "Thanks. I need you to send the intro by Friday.\n\n{{ closing }}\n{{ signature }}\n",
        encoding="utf-8",
    )
    t = _draft(ALICE, ME_EN, "en", "Happy to help!" + MINE_EN, override_dir=tmp_path)
    assert {w.category for w in t.warnings} >= {"deadline", "demand"}
    assert any(w.where == "subject" for w in t.warnings)
    assert "I need you to send the intro by Friday." in t.draft.body
    for w in t.warnings:
        assert w.message not in t.draft.body


@pytest.mark.parametrize("kind", list(ReplyKind))
@pytest.mark.parametrize(
    ("contact", "profile", "language"),
    [(ALICE, ME_EN, "en"), (TARO, ME_JA, "ja"), (KEN, ME_JA, "ja")],
)
def test_no_default_thank_you_warns(
    kind: ReplyKind, contact: Contact, profile: Profile, language: str
) -> None:
    samples = {
        ReplyKind.OFFERS_HELP: "Happy to help. 喜んでご紹介します。",
        ReplyKind.PROPOSES_TIME: "How about Tuesday at 3? 来週火曜はいかがでしょうか。",
        ReplyKind.DECLINES: "No time right now, sorry. 今は少し難しいのですが。",
        ReplyKind.GLAD_ONLY: "What a lovely surprise! お久しぶりです！",
        ReplyKind.UNKNOWN: "",
    }
    t = thank_you_draft(contact, profile, language, "Re: x", new_text=samples[kind])
    assert t.warnings == (), [str(w) for w in t.warnings]


# --- register helpers -------------------------------------------------------------


def test_quoted_text_unquotes_one_level() -> None:
    assert quoted_text("Sure!\n> Hi Alice,\n>\n> > older\n＞ 全角") == "Hi Alice,\n\n> older\n全角"
    assert quoted_text("no quote here") == ""


def test_reply_register_without_any_greeting_follows_the_domain() -> None:
    assert reply_register(TARO, "", "").formal  # a company domain: business mail
    assert not reply_register(KEN, "", "").formal  # gmail: a private address


# --- the gift favour in the store, and prompts in the user's language ----------------


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "state.db") as db:
        yield db


def _queue(store: Store, kind: str, detail: dict[str, object]) -> int:
    with store.transaction() as db:
        Reminders.queue(
            db,
            email="taro@abc.co.jp",
            kind=kind,
            due=datetime(2026, 3, 15, tzinfo=UTC),
            reconnection="reconnect-1",
            detail=detail,
        )
    return max(r.id for r in Reminders(store).list())


def test_set_favour_keeps_the_rest_and_refuses_nonsense(store: Store) -> None:
    detail = {"name": "株式会社ABC 山田 太郎", "language": "ja", "tired": True}
    gift = _queue(store, "gift", detail)
    thanks = _queue(store, "thank-you", detail)
    before = Reminders(store).get(gift)
    after = Reminders(store).set_favour(gift, "introduction")
    assert after.favour == "introduction" and after.to_json()["favour"] == "introduction"
    assert (after.status, after.due, after.tired, after.name) == (
        before.status,
        before.due,
        True,
        "株式会社ABC 山田 太郎",
    )
    assert Reminders(store).set_favour(gift, "call").favour == "call"  # may change their mind
    with pytest.raises(UsageError, match="reply, call, advice, introduction, work"):
        Reminders(store).set_favour(gift, "dinner")
    with pytest.raises(UsageError, match="only a gift reminder"):
        Reminders(store).set_favour(thanks, "call")


def test_prompts_speak_the_users_language_and_drafts_keep_the_contacts(store: Store) -> None:
    detail = {
        "name": "株式会社ABC 山田 太郎",
        "language": "ja",  # the draft's language: the contact's
        "quote": "来週火曜の15時はいかがでしょうか。",
        "draft_subject": "Re: お久しぶりです",
        "reply_kind": "proposes_time",
        "proposed_time": "来週火曜の15時",
        "tired": False,
        "replied_at": "2026-03-01T12:00:00+00:00",
    }
    thanks = Reminders(store).get(_queue(store, "thank-you", detail))
    gift_id = _queue(store, "gift", detail)
    now = datetime(2026, 3, 15, tzinfo=UTC)
    en = prompt_for(thanks, None, now, "en")
    assert en.subject == "[Kizuna] Say thank you to 山田 太郎"
    assert 'They proposed a time: "来週火曜の15時"' in en.body
    ja = prompt_for(thanks, None, now, "ja")
    assert ja.subject == "[Kizuna] 山田 太郎さんにお礼を"
    gift = Reminders(store).get(gift_id)
    assert prompt_for(gift, None, now, "en").subject == "[Kizuna] A thank-you gift for 山田 太郎?"
    assert f"kizuna reminders favour {gift_id} call" in prompt_for(gift, None, now, "en").body
    Reminders(store).set_favour(gift_id, "work")
    told = prompt_for(Reminders(store).get(gift_id), None, now, "en").body
    assert "What they did: real work." in told and "wine" in told
