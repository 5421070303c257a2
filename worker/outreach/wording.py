"""Kizuna's own words to the user about drafts, in the user's language (``[account] language``).

The drafts themselves are in the contact's language; what Kizuna tells *you*
about them (why a contact was skipped, what to check in a draft) is in yours:
:func:`skip_text`, :func:`note_text` and :func:`draft_warning`.
"""

from __future__ import annotations

from worker.outreach.reasons import ReasonNote

__all__ = ["skip_text", "note_text", "draft_warning", "LANGUAGE_NAMES"]

#: A language's name, in each user language.
LANGUAGE_NAMES = {
    "en": {"en": "English", "ja": "Japanese"},
    "ja": {"en": "英語", "ja": "日本語"},
}

_SKIPS = {
    "en": {
        "not-contact": "not a contact (no personal mail both ways)",
        "excluded": "excluded by policy.exclude",
        "never": "you asked never to propose them (kizuna contact EMAIL --again undoes it)",
        "pending": "a reconnection draft is already pending",
        "sent": "reconnection sent, waiting for a reply",
        "declined": "you deleted the last draft unsent; not again before {until}",
        "limit": "over the limit of {limit} drafts per run",
    },
    "ja": {
        "not-contact": "連絡先ではありません（双方向の個人的なメールがありません）",
        "excluded": "policy.exclude で除外されています",
        "never": "今後は提案しない設定です（kizuna contact EMAIL --again で元に戻せます）",
        "pending": "再会の下書きがすでに下書きフォルダにあります",
        "sent": "再会のメールは送信済みで、返信を待っています",
        "declined": "前回の下書きは送信されずに削除されました。{until}までは作成しません",
        "limit": "1回に作成できる下書きの上限（{limit}通）を超えています",
    },
}


def _lang(user_language: str) -> str:
    return "ja" if user_language.lower().startswith("ja") else "en"


def skip_text(code: str, user_language: str, **values: object) -> str:
    """Why a contact got no draft, for the user (``until``/``limit`` fill the blanks)."""
    table = _SKIPS[_lang(user_language)]
    return table.get(code, code).format(**values)


def note_text(note: ReasonNote, user_language: str) -> str:
    """A note on the reason (:class:`~worker.outreach.reasons.ReasonNote`) for the user."""
    lang = _lang(user_language)
    names = LANGUAGE_NAMES[lang]
    draft = names.get(note.draft_language, note.draft_language)
    other = names.get(note.reason_language or "", note.reason_language or "")
    if note.code == "no-reason":
        if lang == "ja":
            return (
                "連絡する理由が設定されていません：この方に書く理由（あなたの状況とお願いしたいこと）を"
                "kizuna contact EMAIL --reason で設定すると、下書きが具体的になります"
            )
        return (
            "no reason given: tell Kizuna why you are writing to this person (your situation "
            "and what you'd like from them) with kizuna contact EMAIL --reason, and the draft "
            "will say it"
        )
    if note.code == "other-language":
        if lang == "ja":
            return (
                f"下書きは{draft}ですが、[outreach] reason に{draft}の理由がないため、"
                f"{other}の理由を入れました：{draft}に書き直してください"
            )
        return (
            f"the draft is in {draft} but [outreach] reason has no {draft} entry, so the "
            f"{other} one is used: rewrite it in {draft}"
        )
    if lang == "ja":
        return f"理由は{other}で書かれていますが、下書きは{draft}です：{draft}に書き直してください"
    return f"the reason is written in {other} but the draft is in {draft}: rewrite it in {draft}"


def draft_warning(email: str, text: str, user_language: str) -> str:
    """One warning line about the draft for ``email``, as the CLI prints it."""
    if _lang(user_language) == "ja":
        return f"kizuna: 注意: {email} 宛ての下書き: {text}"
    return f"kizuna: warning: draft for {email}: {text}"
