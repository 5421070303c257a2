"""How old an export may be before a draft stops trusting it, and the sentences in both languages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from worker.social.recency import (
    CURRENT_DAYS,
    DATED_DAYS,
    Recency,
    is_new_role,
    recency,
    role_sentence,
)

TODAY = date(2025, 9, 1)


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [
        (0, Recency.CURRENT),
        (CURRENT_DAYS, Recency.CURRENT),
        (CURRENT_DAYS + 1, Recency.DATED),
        (DATED_DAYS, Recency.DATED),
        (DATED_DAYS + 1, Recency.STALE),
        (20 * 365, Recency.STALE),
    ],
)
def test_recency_by_the_exports_age(age_days: int, expected: Recency) -> None:
    assert recency(TODAY - timedelta(days=age_days), TODAY) is expected


def test_an_export_of_unknown_date_is_not_trusted() -> None:
    assert recency(None, TODAY) is Recency.STALE


@pytest.mark.parametrize(
    ("before", "after", "new"),
    [
        (None, ("Globex", "Head of Design"), False),
        (("Globex", "Head of Design"), ("Globex", "Head of Design"), False),
        (("Globex", "Head of Design"), ("GLOBEX", "head of design."), False),
        (("Initech", "Head of Design"), ("Globex", "Head of Design"), True),
        (("Globex", "Designer"), ("Globex", "Head of Design"), True),
        ((None, None), ("Globex", None), True),
    ],
)
def test_is_new_role(
    before: tuple[str | None, str | None] | None, after: tuple[str | None, str | None], new: bool
) -> None:
    assert is_new_role(before, after) is new


EN = [
    ("Globex", "Head of Design", Recency.CURRENT, False,
     "I saw on LinkedIn that you're Head of Design at Globex these days."),
    ("Globex", "Head of Design", Recency.CURRENT, True,
     "I saw on LinkedIn that you're now Head of Design at Globex — congratulations!"),
    ("Globex", "Head of Design", Recency.DATED, False,
     "Last I saw on LinkedIn, you were Head of Design at Globex."),
    ("Globex", "Head of Design", Recency.DATED, True,  # not current: nothing to congratulate
     "Last I saw on LinkedIn, you were Head of Design at Globex."),
    ("Acme", "Software Engineer", Recency.CURRENT, False,
     "I saw on LinkedIn that you're a Software Engineer at Acme these days."),
    ("Acme", "Engineering Manager", Recency.CURRENT, False,
     "I saw on LinkedIn that you're an Engineering Manager at Acme these days."),
    ("Acme", "SRE", Recency.CURRENT, False,
     "I saw on LinkedIn that you're an SRE at Acme these days."),
    ("Acme", "UX Researcher", Recency.CURRENT, False,
     "I saw on LinkedIn that you're a UX Researcher at Acme these days."),
    ("Acme", "User Researcher", Recency.CURRENT, False,
     "I saw on LinkedIn that you're a User Researcher at Acme these days."),
    ("Initech, Inc.", "VP, Engineering & Operations", Recency.CURRENT, False,
     "I saw on LinkedIn that you're VP, Engineering & Operations at Initech, Inc. these days."),
    ("Hooli", "Founder & CEO", Recency.DATED, False,
     "Last I saw on LinkedIn, you were Founder & CEO at Hooli."),
    ("Globex", "Head of Design at Globex", Recency.CURRENT, False,
     "I saw on LinkedIn that you're Head of Design at Globex these days."),
    ("Globex", "Globex Fellow", Recency.CURRENT, False,
     "I saw on LinkedIn that you're a Globex Fellow these days."),
    ("Globex", None, Recency.CURRENT, False,
     "I saw on LinkedIn that you're at Globex these days."),
    ("Globex", None, Recency.CURRENT, True,
     "I saw on LinkedIn that you're now at Globex — congratulations!"),
    ("Globex", None, Recency.DATED, False, "Last I saw on LinkedIn, you were at Globex."),
    ("Globex", "Helping teams ship | Design leader", Recency.CURRENT, False,
     "I saw on LinkedIn that you're at Globex these days."),
    ("  Globex \n", "  Head of\nDesign ", Recency.CURRENT, False,
     "I saw on LinkedIn that you're Head of Design at Globex these days."),
]  # fmt: skip

JA = [
    ("Globex", "Head of Design", Recency.CURRENT, False,
     "現在はGlobexでHead of Designをされていると、LinkedInで拝見しました。"),
    ("Globex", "Head of Design", Recency.CURRENT, True,
     "現在はGlobexでHead of Designをされていると、LinkedInで拝見しました。新しいお仕事、おめでとうございます。"),
    ("株式会社ABC", "営業部長", Recency.DATED, False,
     "以前LinkedInで拝見したときは、株式会社ABCで営業部長をされていましたね。"),
    ("株式会社ABC", "営業部長", Recency.DATED, True,
     "以前LinkedInで拝見したときは、株式会社ABCで営業部長をされていましたね。"),
    ("株式会社ABC", None, Recency.CURRENT, False,
     "現在は株式会社ABCにいらっしゃると、LinkedInで拝見しました。"),
    ("株式会社ABC", None, Recency.DATED, False,
     "以前LinkedInで拝見したときは、株式会社ABCにいらっしゃいましたね。"),
    ("Globex", "Head of Design at Globex", Recency.CURRENT, False,
     "現在はGlobexでHead of Designをされていると、LinkedInで拝見しました。"),
    ("Umbrella KK", "Designer, \"Brand\" team", Recency.CURRENT, False,
     "現在はUmbrella KKでDesigner, \"Brand\" teamをされていると、LinkedInで拝見しました。"),
]  # fmt: skip


@pytest.mark.parametrize(("organization", "position", "rec", "new", "sentence"), EN)
def test_english_sentences(
    organization: str, position: str | None, rec: Recency, new: bool, sentence: str
) -> None:
    assert role_sentence(organization, position, "en", rec, new=new) == sentence


@pytest.mark.parametrize(("organization", "position", "rec", "new", "sentence"), JA)
def test_japanese_sentences(
    organization: str, position: str | None, rec: Recency, new: bool, sentence: str
) -> None:
    assert role_sentence(organization, position, "ja", rec, new=new) == sentence


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(
    ("organization", "position", "rec"),
    [
        ("Globex", "Head of Design", Recency.STALE),  # too old to say anything
        (None, "Head of Design", Recency.CURRENT),  # a bare title says too little
        ("", "Freelance Photographer", Recency.CURRENT),
        (None, None, Recency.CURRENT),
    ],
)
def test_nothing_is_said(
    organization: str | None, position: str | None, rec: Recency, language: str
) -> None:
    assert role_sentence(organization, position, language, rec, new=True) is None


def test_never_congratulates_without_a_known_change() -> None:
    for rec in Recency:
        for language in ("en", "ja"):
            sentence = role_sentence("Globex", "Head of Design", language, rec) or ""
            assert "congratulations" not in sentence and "おめでとう" not in sentence
            assert " now " not in sentence


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        role_sentence("Globex", "CTO", "fr", Recency.CURRENT)
