"""Personal drafts without a server: reasons, notes, excerpts, and Kizuna's own text never warned about."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.model import Contact
from worker.outreach.compose import (
    Profile,
    kizuna_text,
    reconnection_context,
    render_template,
    template_name,
)
from worker.outreach.history import excerpt, from_excerpt, history_key
from worker.outreach.reasons import Reason, pick_reason, split_reason
from worker.outreach.wording import note_text, skip_text
from worker.store import Store
from worker.words.history import Direction, PastMessage, history_facts
from worker.words.language import draft_language
from worker.words.requests import AskKind
from worker.words.tone import check_tone

NOW = datetime(2026, 1, 10, tzinfo=UTC)


def when(year: int, month: int) -> datetime:
    return datetime(year, month, 3, 9, 0, tzinfo=UTC)


# --- reasons -------------------------------------------------------------------


def test_split_reason_two_parts_in_both_languages() -> None:
    assert split_reason("I moved to Lisbon | Coffee sometime?") == (
        "I moved to Lisbon.",
        "Coffee sometime?",
    )
    assert split_reason("転職しました｜ご意見をいただけませんか") == (
        "転職しました。",
        "ご意見をいただけませんか。",
    )
    assert split_reason("Just one part.") == ("Just one part.", "")


def test_the_ask_decides_the_kind_of_request() -> None:
    intro = Reason.of("I moved to Lisbon. | Could you introduce me to your design lead?", "draft")
    assert intro.kind is AskKind.INTRODUCTION
    assert Reason.of("I would love your advice on a career change.", "config").kind is (
        AskKind.ADVICE
    )
    assert Reason.of("I moved to Lisbon.", "config").kind is AskKind.CATCH_UP


def test_reason_order_draft_then_contact_then_config() -> None:
    configured = {"en": "Config reason.", "ja": "設定の理由です。"}
    reason, notes = pick_reason(
        "en", draft="Draft reason.", standing="Standing.", configured=configured
    )
    assert reason is not None and reason.source == "draft" and notes == []
    reason, _ = pick_reason("en", standing="Standing reason.", configured=configured)
    assert reason is not None and reason.source == "contact"
    reason, _ = pick_reason("ja", configured=configured)
    assert reason is not None and reason.text == "設定の理由です。"


def test_reason_in_another_language_is_used_and_noted() -> None:
    reason, notes = pick_reason("ja", configured={"en": "I am moving into design."})
    assert reason is not None and reason.language == "en"
    assert [n.code for n in notes] == ["other-language"]
    _, notes = pick_reason("ja", standing="I am moving into design.")
    assert [n.code for n in notes] == ["language"]
    _, notes = pick_reason("en", configured="")
    assert [n.code for n in notes] == ["no-reason"]


def test_notes_and_skips_speak_the_users_language() -> None:
    _, notes = pick_reason("ja", configured={"en": "I am moving into design."})
    assert "Japanese" in note_text(notes[0], "en")
    assert "日本語" in note_text(notes[0], "ja")
    assert skip_text("limit", "ja", limit=3).count("3") == 1
    assert skip_text("excluded", "en") == "excluded by policy.exclude"


# --- the state: contact notes ----------------------------------------------------


def test_notes_keep_reason_never_and_history(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        notes = store.notes
        assert notes.get("A@x.example").reason is None
        notes.set_reason("A@x.example", "  Why I write.  ")
        notes.set_never("a@x.example", True)
        note = notes.get("a@x.example")
        assert note.reason == "Why I write." and note.never
        assert notes.never() == {"a@x.example"}
        notes.set_reason("a@x.example", "")
        notes.set_never("a@x.example", False)
        assert notes.get("a@x.example").reason is None and notes.never() == frozenset()
        notes.save_history("a@x.example", {"messages": []}, key="k1", why="first", now=NOW)
        kept = notes.get("a@x.example")
        assert kept.history == {"messages": []} and kept.history_key == "k1"
        assert kept.history_at == NOW and kept.history_why == "first"


def test_excerpts_keep_what_the_rules_read() -> None:
    body = (
        "Dear Mr. Smith,\n\nThank you for the talk.\n\nBest regards,\nSam\nAcme Inc.\n"
        "> On Monday John wrote:\n> quoted"
    )
    message = PastMessage(Direction.OUT, when(2016, 4), "Berlin conference", body, "Sam")
    again = from_excerpt(excerpt(message))
    assert "quoted" not in again.body
    facts = history_facts([again], email="john@acme.com", name="John Smith")
    assert facts.register.title == "Mr." and facts.topic is not None
    contact = Contact("a@x", "", None, when(2016, 4), None, None, 2, 3)
    assert history_key(contact) != history_key(
        Contact("a@x", "", None, when(2016, 5), None, None, 2, 3)
    )


# --- drafts: many contacts, both languages, every template path -----------------

PEOPLE: list[tuple[str, str, list[PastMessage]]] = [
    (
        "John Smith",
        "john@acme.com",
        [
            PastMessage(
                Direction.OUT, when(2016, 4), "Berlin conference", "Dear Mr. Smith,\n\nThanks."
            ),
            PastMessage(
                Direction.IN, when(2016, 4), "Re: Berlin conference", "Dear Sam,\n\nThanks."
            ),
        ],
    ),
    (
        "Mary Jones",
        "mary@gmail.com",
        [
            PastMessage(Direction.OUT, when(2018, 7), "photos", "Hi Mary,\n\nHere they are!"),
            PastMessage(Direction.IN, when(2018, 7), "Re: photos", "Thanks Sam!"),
        ],
    ),
    (
        "株式会社ABC 山田太郎",
        "taro@abc.co.jp",
        [
            PastMessage(
                Direction.OUT,
                when(2015, 5),
                "勉強会の資料",
                "株式会社ABC\n山田様\n\nお世話になっております。資料をお送りいたします。",
            ),
            PastMessage(
                Direction.IN, when(2015, 5), "Re: 勉強会の資料", "Sam様\n\nありがとうございます。"
            ),
        ],
    ),
    (
        "YAMADA Hanako",
        "hanako@example.com",
        [
            PastMessage(
                Direction.OUT, when(2019, 11), "Re: lunch?", "花子さん\n\nランチ楽しかったです！"
            ),
            PastMessage(
                Direction.IN, when(2019, 11), "lunch?", "Samさん\n\n今度ランチどうですか？"
            ),
        ],
    ),
    ("総務部 佐藤", "sato@corp.example.jp", []),
    ("Taro Yamada", "taro.yamada@gmail.com", []),
    ("", "info@shop.example", []),
    (
        "Priya Shah",
        "priya@designlab.example",
        [
            PastMessage(
                Direction.IN, when(2019, 3), "Lisbon UX workshop", "Hello Sam,\n\nSee you there."
            ),
            PastMessage(
                Direction.OUT, when(2019, 3), "Re: Lisbon UX workshop", "Hello Priya,\n\nYes!"
            ),
        ],
    ),
]
REASONS = [
    "",
    "I am moving into product design and would love your view on it.",
    "I moved to Lisbon. | Could you introduce me to someone on your design team?",
    "プロダクトデザインの仕事に移ろうとしています。｜ご意見を伺えませんでしょうか。",
    "I'm starting a studio and looking for a first client. | Would you be open to working together?",
]


def _draft(name: str, email: str, messages: list[PastMessage], reason: str, language: str):  # type: ignore[no-untyped-def]
    contact = Contact(
        email,
        name,
        when(2012, 1),
        messages[-1].date if messages else when(2016, 1),
        None,
        None,
        4,
        4,
    )
    facts = history_facts(messages, email=email, name=name)
    chosen, _ = pick_reason(language, draft=reason)
    context = reconnection_context(
        contact, Profile("Sam Carter", ""), language, NOW, facts=facts, reason=chosen
    )
    draft = render_template(template_name("reconnection", language), context, language)
    return draft, context


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("reason", REASONS)
def test_kizunas_own_text_raises_no_warning(language: str, reason: str) -> None:
    for name, email, messages in PEOPLE:
        draft, context = _draft(name, email, messages, reason, language)
        ours = kizuna_text(context, language)
        warnings = check_tone(draft.body, draft.subject, language=language, kizuna_text=ours)
        assert warnings == [], (email, draft.subject, draft.body, [str(w) for w in warnings])
        for banned in ("—", "None", "「」", '""', "株式会社ABCさん", "総務部さん", "Hi 山田"):
            assert banned not in draft.body, (email, banned)


def test_register_and_names_follow_the_history() -> None:
    firsts = {}
    for name, email, messages in PEOPLE:
        facts = history_facts(messages, email=email, name=name)
        language = draft_language("auto", written=facts.language, name=name)
        draft, _ = _draft(name, email, messages, REASONS[1], language)
        firsts[email] = (language, draft.body.split("\n")[0], draft)
    assert firsts["john@acme.com"][:2] == ("en", "Dear Mr. Smith,")
    assert firsts["mary@gmail.com"][:2] == ("en", "Hi Mary,")
    assert firsts["taro@abc.co.jp"][:2] == ("ja", "山田様")
    assert firsts["hanako@example.com"][:2] == ("ja", "花子さん")  # Japanese bodies, romaji name
    assert firsts["sato@corp.example.jp"][:2] == ("ja", "佐藤様")
    assert firsts["taro.yamada@gmail.com"][1] == "Hi Yamada-san,"
    assert firsts["info@shop.example"][1] == "Hello,"
    assert firsts["priya@designlab.example"][1] == "Hello Priya,"
    # Formal histories close formally, casual ones casually.
    assert "regards," in firsts["john@acme.com"][2].body
    assert (
        "Best," in firsts["mary@gmail.com"][2].body
        or "Cheers," in firsts["mary@gmail.com"][2].body
        or "Best wishes," in firsts["mary@gmail.com"][2].body
    )
    assert "いたします。" in firsts["taro@abc.co.jp"][2].body
    assert "いたします" not in firsts["hanako@example.com"][2].body  # one politeness level


def test_subjects_recall_the_shared_history_and_differ() -> None:
    subjects = [_draft(n, e, m, REASONS[1], "en")[0].subject for n, e, m in PEOPLE]
    assert len(set(subjects)) >= 5  # a shared topic, else one of several phrasings
    john = _draft(*PEOPLE[0], REASONS[1], "en")[0].subject
    assert john == "Sam Carter (Berlin conference): a question"
    taro = _draft(*PEOPLE[2], REASONS[3], "ja")[0].subject
    assert taro.startswith("ご無沙汰しております（") and "勉強会" in taro
    assert "Hello again" not in " ".join(subjects)


def test_an_ask_in_the_users_words_is_never_a_mere_catch_up() -> None:
    reason = Reason.of("I'm rebuilding my portfolio. | Would you look at two case studies?", "x")
    assert reason.kind is AskKind.ADVICE
