"""What kind of reply someone sent, and the thank-you that answers it (worker.words.replies)."""

from __future__ import annotations

import re

import pytest

from worker.words.replies import (
    ReplyKind,
    classify_reply,
    kizuna_sentences,
    proposed_time,
    thank_you_for,
)
from worker.words.tone import check_tone

H, T, D, G, U = (
    ReplyKind.OFFERS_HELP,
    ReplyKind.PROPOSES_TIME,
    ReplyKind.DECLINES,
    ReplyKind.GLAD_ONLY,
    ReplyKind.UNKNOWN,
)

# Real reply texts (new text only: quotes and signature already stripped).
EN_REPLIES: list[tuple[str, ReplyKind]] = [
    ("Happy to introduce you to Mark — I've cc'd him here. Mark, meet Ken!", H),
    ("Of course! Let me ask our head of design whether she has time for a chat.", H),
    ("Great to hear from you. My advice: start with a small portfolio of three strong pieces.", H),
    ("Sure thing, I'll forward your CV to the hiring manager today.", H),
    ("Have you tried reaching out to the UX guild? They were really helpful when I switched.", H),
    (
        "Honestly, in my experience the best bet is to do one freelance project first and see "
        "if you like the work.",
        H,
    ),
    ("Absolutely, count me in. Send me the deck and I'll take a look.", H),
    ("I can't do a call this month, but here's what I'd do: talk to Anna at the studio.", H),
    ("I'd suggest looking at the design programme at the city college — it's worth a look.", H),
    ("Glad to help! I've copied Priya, who runs recruiting on our side.", H),
    ("So good to hear from you! Work has been hectic lately, but I would love to help.", H),
    ("Things are busy here, but I'd be happy to look at your portfolio.", H),
    ("I can't make Tuesday but Thursday works.", T),
    ("Tuesday at 3 works for me.", T),
    ("How about next Wednesday afternoon?", T),
    ("Lovely to hear from you! Are you free on Friday at 10am for a quick call?", T),
    ("I'm travelling on Monday, but Tuesday morning would work.", T),
    ("Let's talk. Does tomorrow at 4pm suit you?", T),
    ("Happy to chat — how's Thursday at 2?", T),
    ("I could do the 14th at 11 if that works for you.", T),
    ("Great idea. I'm around next week, maybe Wednesday?", T),
    ("Monday is out for me, but Friday afternoon is free.", T),
    ("No time right now, sorry.", D),
    ("I'd love to help but I'm swamped until March.", D),
    ("Unfortunately I'm not in a position to make introductions at the moment.", D),
    ("I'm afraid I don't really know anyone at that company anymore.", D),
    ("It's not a good time for me, things are hectic. Maybe later in the year?", D),
    ("Thanks for thinking of me, but I'll have to pass on this one.", D),
    ("I wish I could help, but I'm no longer in touch with the team there.", D),
    ("Good to hear from you! Sadly I can't take this on right now — ping me in the autumn.", D),
    ("I don't think I can commit to anything this quarter, sorry.", D),
    ("Great to hear from you! Hope all is well with you and the family.", G),
    ("What a lovely surprise! It's been far too long.", G),
    ("Thanks so much for reaching out — made my day.", G),
    ("So nice to hear from you after all these years. Congratulations on the new role!", G),
    ("Wow, long time! Glad you got in touch.", G),
    ("Thank you for the note, it was good to hear your news.", G),
    ("Received, thanks.", U),
    ("Can you remind me where we met?", U),
]

JA_REPLIES: list[tuple[str, ReplyKind]] = [
    ("喜んでご紹介します。先方にも一言伝えておきますね。", H),
    ("ぜひ協力させてください。まずは資料を送っていただけますか。", H),
    ("お久しぶりです。私の経験なら、最初は小さな案件から始めるのがおすすめです。", H),
    ("人事の山田さんをCCに入れました。あとはお二人でやりとりしてください。", H),
    ("ご連絡ありがとうございます。ポートフォリオは三点ほどに絞ったほうがいいと思います。", H),
    ("もちろんです。知り合いに声をかけてみますね。", H),
    ("お力になれればと思い、いくつか参考になりそうな記事をお送りします。", H),
    ("転職の件、ご参考までに私が使ったエージェントをお伝えします。", H),
    ("大変ご無沙汰しております。ぜひお手伝いさせてください。", H),
    ("先方に転送しました。直接ご連絡があると思います。", H),
    ("来週火曜はいかがでしょうか。", T),
    ("来週の木曜日15時からでしたら空いています。", T),
    ("火曜は難しいのですが、木曜の午後なら大丈夫です。", T),
    ("お久しぶりです！ 3月5日の午後でしたらお時間を取れます。", T),
    ("明日の18時以降なら電話できますよ。", T),
    ("ご連絡ありがとうございます。金曜日の午前中はご都合いかがですか。", T),
    ("ぜひお話ししましょう。月曜の10時はどうでしょう。", T),
    ("水曜日は予定が入っているのですが、金曜日なら空いています。", T),
    ("来週でしたら、どこかでお時間を作れます。", T),
    ("懐かしいですね。週明けの月曜日、お昼でもいかがですか。", T),
    ("今は少し難しいのですが。", D),
    ("申し訳ないのですが、今は時間が取れそうにありません。", D),
    ("あいにく、その会社には知り合いがおらず、お力になれず残念です。", D),
    ("せっかくご連絡いただいたのに恐縮ですが、今回は遠慮させてください。", D),
    ("今は仕事が立て込んでいて、対応できかねます。落ち着いたらまた連絡しますね。", D),
    ("残念ながら、その方とはもう面識がありません。", D),
    ("今期は手が回らない状況でして、申し訳ありません。", D),
    ("お話はありがたいのですが、今回は見送らせていただきます。", D),
    ("ご期待に添えず申し訳ありません。", D),
    ("お久しぶりです！ご連絡ありがとうございます。", G),
    ("懐かしいお名前を拝見して、とても嬉しくなりました。", G),
    ("ご無沙汰しております。お元気そうで何よりです。", G),
    ("びっくりしました！ 連絡くれてありがとう。", G),
    ("お便りありがとうございます。ご活躍のご様子、嬉しく拝見しました。", G),
    ("久しぶりだね！元気そうで安心しました。", G),
    ("承知しました。", U),
    ("どちらでお会いしましたでしょうか。", U),
]


@pytest.mark.parametrize(("text", "kind"), EN_REPLIES + JA_REPLIES)
def test_reply_kind(text: str, kind: ReplyKind) -> None:
    assert classify_reply(text).kind is kind


def test_reply_corpus_is_large_enough() -> None:
    assert len(EN_REPLIES) >= 30
    assert len(JA_REPLIES) >= 30
    for replies in (EN_REPLIES, JA_REPLIES):
        assert {k for _, k in replies} == {H, T, D, G, U}


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("I can't make Tuesday but Thursday works", "Thursday"),
        ("Tuesday at 3 works for me.", "Tuesday at 3"),
        ("How about next Wednesday afternoon?", "next Wednesday afternoon"),
        ("Monday is out for me, but Friday afternoon is free.", "Friday afternoon"),
        ("Does tomorrow at 4pm suit you?", "tomorrow at 4pm"),
        ("来週火曜はいかがでしょうか", "来週火曜"),
        ("火曜は難しいのですが、木曜の午後なら大丈夫です。", "木曜の午後"),
        ("水曜日は予定が入っているのですが、金曜日なら空いています。", "金曜日"),
        ("明日の18時以降なら電話できますよ。", "明日の18時以降"),
    ],
)
def test_proposed_time_skips_negated_times(text: str, time: str) -> None:
    assert proposed_time(text) == time


def test_a_time_mentioned_without_a_proposal_is_not_one() -> None:
    assert proposed_time("I was in Berlin on Tuesday for a conference.") is None
    assert proposed_time("I can't make Tuesday.") is None
    assert classify_reply("I can't make Tuesday, sorry — things are hectic.").kind is D


def test_thank_you_confirms_the_proposed_time() -> None:
    reading = classify_reply("I can't make Tuesday but Thursday at 3 works.")
    en = thank_you_for(reading.kind, "en", time_phrase=reading.time_phrase)
    assert "Thursday at 3 works for me." in en.body
    ja = thank_you_for("proposes_time", "ja", "formal", time_phrase="来週火曜の15時")
    assert "来週火曜の15時で承知いたしました。" in ja.body
    blank = thank_you_for("proposes_time", "en")
    assert blank.body.count("[") == 2 and "[The time you can make] works for me." in blank.body


def test_advice_thank_you_has_a_line_to_fill_in() -> None:
    en = thank_you_for("offers_help", "en")
    assert en.placeholder == "[what you'll try first]"
    assert "I'll start with [what you'll try first]" in en.body
    for level in ("formal", "polite"):
        ja = thank_you_for("offers_help", "ja", level)
        assert ja.placeholder == "[最初に取り組むこと]"
        assert "お時間を割いていただき" in ja.body


def test_decline_thank_you_accepts_and_keeps_the_door_open() -> None:
    en = thank_you_for("declines", "en").body
    assert "completely understand" in en
    assert "help" not in en.lower()  # they did not help: never thank them for it
    assert "glad we're back in touch" in en
    ja = thank_you_for("declines", "ja", "formal").body
    assert "お気になさらないでください" in ja and "近況" in ja


def test_no_thank_you_thanks_for_help_that_did_not_happen() -> None:
    for kind in (T, D, G, U):
        en = thank_you_for(kind, "en").body.lower()
        assert "your help" not in en and "your thoughts" not in en
        for level in ("formal", "polite"):
            ja = thank_you_for(kind, "ja", level).body
            assert "お力添え" not in ja and "アドバイス" not in ja


# Markers of each Japanese level: formal (様) keigo never meets a casual ending,
# and the さん-polite text never climbs into business keigo.
_CASUAL = re.compile(r"ね。|よ。|てね|くださいね|だよ|かな|わかりました")
_FORMAL_ONLY = re.compile(r"存じ|申し上げ|承知いたし|誠に|ございましたら|幸いです|しております")


@pytest.mark.parametrize("kind", list(ReplyKind))
def test_japanese_thank_you_keeps_one_level(kind: ReplyKind) -> None:
    formal = thank_you_for(kind, "ja", "formal").body
    polite = thank_you_for(kind, "ja", "polite").body
    assert not _CASUAL.search(formal), formal
    assert not _FORMAL_ONLY.search(polite), polite
    assert formal != polite
    assert "心より感謝しております" not in formal + polite  # the old mixed-level line
    assert "時間を割いてくださった" not in formal + polite


@pytest.mark.parametrize("kind", list(ReplyKind))
@pytest.mark.parametrize(
    ("language", "level"), [("en", "polite"), ("ja", "formal"), ("ja", "polite")]
)
def test_thank_you_passes_the_tone_check(kind: ReplyKind, language: str, level: str) -> None:
    body = thank_you_for(kind, language, level, time_phrase="Tuesday at 3").body
    assert check_tone(body) == []


def test_kizuna_sentences_cover_the_fixed_text() -> None:
    sentences = kizuna_sentences()
    assert "Looking forward to it." in sentences
    assert not any("{time}" in s for s in sentences)
