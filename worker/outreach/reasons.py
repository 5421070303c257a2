"""Why you write to this person: choosing the reason for one draft.

A reason comes from, first to last:

1. the draft itself (``kizuna draft --to EMAIL --reason TEXT``, the page's preview);
2. the contact's standing reason (``kizuna contact EMAIL --reason TEXT``);
3. ``[outreach] reason``: one text, or a table by language
   (``reason = { en = "...", ja = "..." }``). A draft takes the entry in its
   own language; where only another language has one, it takes that and warns.

Two parts
---------
A reason may carry the seed's two parts, *my situation* and *what I'd like
from you*, separated by a vertical bar (``|`` or ``｜``)::

    I am moving into product design. | Would you introduce me to someone on your design team?
    プロダクトデザインの仕事に移ろうとしています。｜デザインチームの方をご紹介いただけないでしょうか。

The situation goes into the draft as written; the ask replaces Kizuna's own
request sentence, and decides the way out that follows it (an introduction,
advice, work, a meeting or a catch-up each get their own exit, see
:mod:`worker.words.requests`). Without a bar the whole text is the situation
and Kizuna words the request from what it asks for.

Notes: :func:`pick_reason` also says what the user should know: no reason at
all (``no-reason``), a reason taken from the table's other language
(``other-language``), a reason whose language differs from the draft's
(``language``). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from worker.words.language import text_language
from worker.words.requests import AskKind, classify_ask

__all__ = ["Reason", "ReasonNote", "split_reason", "pick_reason", "sentence"]

_BAR_RE = re.compile(r"\s*[|｜]\s*")
_SENTENCE_END = tuple(".!?。！？…」』)）")


def sentence(text: str) -> str:
    """``text`` with its spaces tidied and an end mark when it has none (。 for Japanese)."""
    cleaned = " ".join(text.split())
    if cleaned and not cleaned.endswith(_SENTENCE_END):
        cleaned += "。" if text_language(cleaned) == "ja" else "."
    return cleaned


def split_reason(text: str) -> tuple[str, str]:
    """``(situation, ask)`` of a reason; ``ask`` is ``""`` without a bar.

    >>> split_reason("I am moving into design. | Could we talk?")
    ('I am moving into design.', 'Could we talk?')
    >>> split_reason("デザインに移ります｜ご意見をいただけませんか")
    ('デザインに移ります。', 'ご意見をいただけませんか。')
    """
    parts = _BAR_RE.split(text.strip(), maxsplit=1)
    situation = parts[0]
    ask = parts[1] if len(parts) > 1 else ""
    return sentence(situation), sentence(ask)


@dataclass(frozen=True, slots=True)
class Reason:
    """The reason one draft gives.

    ``source``: ``"draft"``, ``"contact"`` or ``"config"``. ``language``: the
    reason's own language (``"en"``, ``"ja"``, None when too short to tell).
    ``kind``: what it asks for (:class:`~worker.words.requests.AskKind`).
    """

    text: str
    situation: str
    ask: str
    language: str | None
    source: str
    kind: AskKind

    @classmethod
    def of(cls, text: str, source: str) -> Reason:
        """The reason ``text`` (one or two parts) from ``source``."""
        situation, ask = split_reason(text)
        kind = classify_ask(situation, ask or None)
        if ask and kind is AskKind.CATCH_UP:
            kind = AskKind.ADVICE  # an ask in the user's own words is at least a question
        return cls(
            text=" ".join(text.split()),
            situation=situation,
            ask=ask,
            language=text_language(text),
            source=source,
            kind=kind,
        )


@dataclass(frozen=True, slots=True)
class ReasonNote:
    """Something the user should know about a draft's reason.

    ``code``: ``no-reason``, ``other-language`` (the table had none in the
    draft's language) or ``language`` (the reason is written in another
    language than the draft). ``reason_language``/``draft_language`` say which.
    """

    code: str
    draft_language: str
    reason_language: str | None = None


def pick_reason(
    language: str,
    *,
    draft: str | None = None,
    standing: str | None = None,
    configured: str | Mapping[str, str] = "",
) -> tuple[Reason | None, list[ReasonNote]]:
    """The reason for a draft in ``language`` and the notes on it (see the module docstring).

    >>> reason, notes = pick_reason("ja", configured={"en": "I moved to Lisbon."})
    >>> reason.text, [n.code for n in notes]
    ('I moved to Lisbon.', ['other-language'])
    >>> pick_reason("en", draft="", standing=None, configured="")[1][0].code
    'no-reason'
    """
    chosen: Reason | None = None
    notes: list[ReasonNote] = []
    if draft and draft.strip():
        chosen = Reason.of(draft, "draft")
    elif standing and standing.strip():
        chosen = Reason.of(standing, "contact")
    elif isinstance(configured, str):
        if configured.strip():
            chosen = Reason.of(configured, "config")
    else:
        table = {k.lower(): v for k, v in configured.items() if v and v.strip()}
        if table.get(language):
            chosen = Reason.of(table[language], "config")
        elif table:
            other = next(iter(table))
            chosen = Reason.of(table[other], "config")
            notes.append(ReasonNote("other-language", language, other))
            return chosen, notes
    if chosen is None:
        return None, [ReasonNote("no-reason", language)]
    if chosen.language is not None and chosen.language != language:
        notes.append(ReasonNote("language", language, chosen.language))
    return chosen, notes
