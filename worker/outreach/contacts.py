"""The contact index above the SQL: dormancy, each contact's status, and ranking.

The contact rule itself is stated once, in SQL (:mod:`worker.store.contacts`);
this module adds what the policy says (``dormant_after_days``, ``exclude``),
the reconnection status shown beside each contact (:func:`status_text`), and
the order in which dormant ties are proposed.

Ranking: real past ties come first.

A contact in the index already has mail both ways (see the contact rules), but
"one message each way" is a one-off exchange, while years of threads in both
directions is a relationship worth reviving. :func:`tie_score` measures that
strength from the index counters alone; :func:`rank_dormant` sorts candidates
by it.

Which contacts are dormant is the policy's decision (``dormant_after_days``),
not this module's: :func:`rank_dormant` orders what it is given and only drops
contacts marked ``excluded``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from worker.config import Config
from worker.model import Contact, SocialSource
from worker.store import Store
from worker.store.reconnections import Reconnection, ReconnectionStatus
from worker.store.social import SocialPerson
from worker.words.language import is_japanese_text

__all__ = ["tie_score", "rank_dormant", "contact_index", "status_text"]

# Relationships longer than this add no more weight: twenty years and thirty
# years of mail are both "a long relationship".
_MAX_SPAN_YEARS = 20.0
# A contact with mail one way only (should not be in the index, but the ranking
# must not trust that) keeps a tenth of its score.
_ONE_WAY_FACTOR = 0.1


def _aware(value: datetime) -> datetime:
    """Treat a naive datetime as UTC so that comparisons never raise."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _span_years(contact: Contact) -> float:
    """Years between ``first_contact`` and ``last_contact`` (0 when unknown)."""
    if contact.first_contact is None or contact.last_contact is None:
        return 0.0
    days = (_aware(contact.last_contact) - _aware(contact.first_contact)).total_seconds() / 86400
    return min(max(days / 365.25, 0.0), _MAX_SPAN_YEARS)


def tie_score(contact: Contact) -> float:
    """How strong the past tie with ``contact`` was; higher is stronger.

    The score grows with:

    * volume: ``log(1 + sent + received)``, weighted by the balance of the two
      (``min/max``, so 10 sent and 10 received beats 19 sent and 1 received);
    * the length of the relationship, ``first_contact`` .. ``last_contact``
      (logarithmic, capped at twenty years);
    * the number of distinct threads (``thread_count``).

    Mail one way only is scaled down to a tenth. A one-off exchange (one message
    each way, same day, one thread) scores about 2.3; ten threads both ways
    over five years about 11.

    >>> from worker.model import Contact
    >>> tie_score(Contact("a@x", "", None, None, None, None, 0, 0))
    0.0
    """
    sent = max(contact.sent_count, 0)
    received = max(contact.received_count, 0)
    total = sent + received
    if total == 0:
        return 0.0
    balance = min(sent, received) / max(sent, received)
    volume = math.log1p(total) * (0.5 + balance)
    span = 2.0 * math.log1p(_span_years(contact))
    threads = math.log1p(max(contact.thread_count, 0))
    score = volume + span + threads
    if min(sent, received) == 0:
        score *= _ONE_WAY_FACTOR
    return score


def _silence_days(contact: Contact, now: datetime) -> float:
    """Days since ``last_contact`` (0 when unknown or in the future)."""
    if contact.last_contact is None:
        return 0.0
    return max((_aware(now) - _aware(contact.last_contact)).total_seconds() / 86400, 0.0)


def rank_dormant(contacts: Iterable[Contact], now: datetime) -> list[Contact]:
    """Dormant candidates, strongest past tie first.

    Order: :func:`tie_score` descending; among equal scores, the longer
    silence (relative to ``now``) first; then ``email`` ascending, so the
    result is the same whatever the input order. Contacts marked ``excluded``
    are left out; dormancy itself is not re-checked here.
    """
    candidates = [c for c in contacts if not c.excluded]

    def key(contact: Contact) -> tuple[float, float, str]:
        # Rounded so that float noise never decides between equal ties.
        return (
            -round(tie_score(contact), 9),
            -round(_silence_days(contact, now), 6),
            contact.email.lower(),
        )

    return sorted(candidates, key=key)


def status_text(reconnection: Reconnection, declined_days: int) -> str:
    """A contact's reconnection status for ``kizuna contacts``."""
    status = reconnection.status
    if status == ReconnectionStatus.DECLINED:
        until = reconnection.updated_at + timedelta(days=declined_days)
        return f"declined (no draft before {until.date()})"
    return {
        ReconnectionStatus.APPENDING: "draft pending",
        ReconnectionStatus.PENDING: "draft pending",
        ReconnectionStatus.SENT: "sent, awaiting reply",
        ReconnectionStatus.REPLIED: "replied",
    }.get(status, str(status))


def _social_fields(people: list[SocialPerson]) -> dict[str, Any]:
    """``organization``, ``position`` and ``sources`` from the people matched to one contact.

    Where they work comes from LinkedIn only (Facebook's export says
    nothing of it); ``sources`` is ``mail`` first, then LinkedIn, Facebook.
    """
    linkedin = next((p for p in people if p.source == SocialSource.LINKEDIN), None)
    found = {p.source for p in people}
    return {
        "organization": linkedin.organization if linkedin else None,
        "position": linkedin.position if linkedin else None,
        "sources": ("mail", *(str(s) for s in SocialSource if s in found)),
    }


def contact_index(
    config: Config,
    store: Store,
    *,
    dormant: bool = False,
    now: datetime | None = None,
    emails: Iterable[str] | None = None,
) -> list[Contact]:
    """The contact index, most dormant (oldest last contact) first; ``dormant``: only those.

    A contact the user set to "never" (``kizuna contact EMAIL --never``) is
    excluded as ``policy.exclude`` would. ``emails``: only these addresses
    (looked up together, in one pass: fast on a big mailbox).
    """
    now = now or datetime.now(UTC)
    policy = config.policy
    cutoff = now - timedelta(days=policy.dormant_after_days)
    statuses = {
        email: status_text(r, policy.declined_days)
        for email, r in store.reconnections.latest_by_email().items()
    }
    social = store.social.by_contact()
    result = []
    never = store.notes.never()
    if emails is None:
        found = store.contacts(config.me, policy.max_recipients)
    else:
        found = store.contacts(config.me, policy.max_recipients, emails=[e.strip() for e in emails])
    for contact in found:
        excluded = policy.is_excluded(contact.email) or contact.email in never
        is_dormant = (
            contact.last_contact is not None and contact.last_contact < cutoff and not excluded
        )
        if dormant and not is_dormant:
            continue
        result.append(
            dataclasses.replace(
                contact,
                dormant=is_dormant,
                excluded=excluded,
                japanese=is_japanese_text(contact.name) or is_japanese_text(contact.last_subject),
                status=statuses.get(contact.email, ""),
                **_social_fields(social.get(contact.email, [])),
            )
        )
    epoch = datetime.min.replace(tzinfo=UTC)
    result.sort(key=lambda c: (c.last_contact or epoch, c.email))
    return result
