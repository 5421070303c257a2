"""What a draft may say about someone from their LinkedIn profile: one sentence, or nothing.

:func:`role_line` is the composer's one call: it reads the state (the person
matched to the contact, the export's date) and applies the pure rule and
words of :mod:`worker.social.recency`.
"""

from __future__ import annotations

from datetime import date

from worker.social.people import Source
from worker.social.recency import Recency, recency, role_sentence
from worker.store import Store

__all__ = ["role_line"]


def role_line(store: Store, email: str, language: str, *, today: date) -> str | None:
    """The sentence about ``email``'s company and position for a draft in ``language``, or None.

    Uses the LinkedIn connection matched to that contact (Facebook says
    nothing about work). How it is said depends on the age of the LinkedIn
    export (its ``as_of``) on ``today``: up to a year, the present ("I saw
    on LinkedIn that you're Head of Design at Globex these days."); one to
    three years, hedged as the past ("Last I saw on LinkedIn, you were ...");
    older or undated, None. Congratulations only when an import within the
    last year showed a new organization or position against an earlier one
    (``role_changed_on``). None too when nothing matched, when the profile
    gives no company, or when the position reads as a headline.
    ``language`` is ``"en"`` or ``"ja"`` (anything else: ValueError).
    """
    if language not in ("en", "ja"):
        raise ValueError(f"language must be 'en' or 'ja' (got {language!r})")
    person = next(
        (
            p
            for p in store.social.for_contact(email)
            if p.source is Source.LINKEDIN and p.organization
        ),
        None,
    )
    if person is None:
        return None
    imported = store.social.last_import(Source.LINKEDIN)
    current = recency(imported.as_of if imported else None, today)
    new = (
        person.role_changed_on is not None
        and recency(person.role_changed_on, today) is Recency.CURRENT
    )
    return role_sentence(person.organization, person.position, language, current, new=new)
