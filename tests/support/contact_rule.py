"""The contact rule for one message, as a test oracle for the SQL in :mod:`worker.store.contacts`.

Kizuna states the rule once, in SQL; these two pure functions say the same
per message, so tests can state expectations message by message.
"""

from __future__ import annotations

from worker.model import MessageFacts

__all__ = ["is_contact", "direction"]


def is_contact(facts: MessageFacts, max_recipients: int) -> bool:
    """Whether the message counts as personal contact at all (before direction)."""
    return (
        facts.automated is None
        and facts.recipient_count <= max_recipients
        and facts.sender is not None
    )


def direction(facts: MessageFacts, me: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """``("sent", recipients)`` or ``("received", (sender,))`` or ``("", ())``.

    Sent = from one of my addresses to others; received = from someone else.
    My own addresses are never contacts.
    """
    if facts.sender is None:
        return "", ()
    if facts.sender.email in me:
        others = tuple(a.email for a in facts.recipients if a.email not in me)
        return ("sent", others) if others else ("", ())
    return "received", (facts.sender.email,)
