"""The gift part of the page and the API: what the contact did, and the gift that fits it.

Shared by the route ``POST /api/reminders/<id>`` with ``{"favour": ...}``
(:mod:`worker.web.app`) and the page's gift reminders (:mod:`worker.web.page`).
The words come from :mod:`worker.words.gifts`.
"""

from __future__ import annotations

from worker.store.reminders import Reminder, ReminderKind
from worker.words.gifts import Favour, favour_label, gift_suggestion

__all__ = ["FAVOURS", "gift_json", "gift_views"]

#: The choices, smallest favour first, as the page lists them.
FAVOURS: tuple[str, ...] = tuple(Favour)


def gift_json(reminder: Reminder, language: str) -> dict[str, object] | None:
    """The gift that fits what the contact did (None: the user has not said yet).

    ``{"favour", "label", "tired", "ideas": [...], "note", "language"}``, in ``language``.
    """
    if reminder.favour is None:
        return None
    found = gift_suggestion(reminder.favour, reminder.tired, language)
    return {
        "favour": found.favour.value,
        "label": favour_label(found.favour, language),
        "tired": found.tired,
        "ideas": list(found.ideas),
        "note": found.note,
        "language": language,
    }


def gift_views(reminders: list[Reminder], language: str) -> dict[int, dict[str, object] | None]:
    """For the page: each gift reminder's id and its suggestion (None until the user says)."""
    return {r.id: gift_json(r, language) for r in reminders if r.kind == ReminderKind.GIFT}
