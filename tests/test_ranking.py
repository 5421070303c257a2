"""Ranking of dormant contacts: real past ties before one-off exchanges."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from worker.model import Contact
from worker.outreach.contacts import rank_dormant, tie_score

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def contact(
    email: str,
    sent: int,
    received: int,
    first: datetime | None,
    last: datetime | None,
    threads: int = 1,
    **kwargs: object,
) -> Contact:
    return Contact(
        email=email,
        name="",
        first_contact=first,
        last_contact=last,
        last_sent=last,
        last_received=last,
        sent_count=sent,
        received_count=received,
        thread_count=threads,
        **kwargs,  # type: ignore[arg-type]
    )


LONG_TIE = contact(
    "zoe@old.example",
    25,
    22,
    datetime(2008, 4, 1, tzinfo=UTC),
    datetime(2015, 3, 1, tzinfo=UTC),
    14,
)
ONE_OFF = contact(
    "aaron@old.example", 1, 1, datetime(2014, 5, 1, tzinfo=UTC), datetime(2014, 5, 1, tzinfo=UTC)
)
LOPSIDED = contact(
    "bob@old.example", 30, 1, datetime(2010, 1, 1, tzinfo=UTC), datetime(2015, 1, 1, tzinfo=UTC), 3
)
BALANCED = contact(
    "carol@old.example",
    15,
    15,
    datetime(2010, 1, 1, tzinfo=UTC),
    datetime(2015, 1, 1, tzinfo=UTC),
    3,
)


def test_two_way_long_tie_beats_one_off() -> None:
    assert tie_score(LONG_TIE) > tie_score(ONE_OFF)
    assert rank_dormant([ONE_OFF, LONG_TIE], NOW) == [LONG_TIE, ONE_OFF]


def test_balance_counts_more_than_raw_volume() -> None:
    # 30 messages one way and 1 back is less of a tie than 15 each way.
    assert tie_score(BALANCED) > tie_score(LOPSIDED)


def test_longer_relationship_scores_higher() -> None:
    short = contact("a@x", 5, 5, datetime(2014, 1, 1, tzinfo=UTC), datetime(2014, 2, 1, tzinfo=UTC))
    long = contact("b@x", 5, 5, datetime(2004, 1, 1, tzinfo=UTC), datetime(2014, 2, 1, tzinfo=UTC))
    assert tie_score(long) > tie_score(short)


def test_more_threads_score_higher() -> None:
    few = contact("a@x", 5, 5, None, None, threads=1)
    many = contact("b@x", 5, 5, None, None, threads=8)
    assert tie_score(many) > tie_score(few)


def test_one_way_mail_scores_low() -> None:
    one_way = contact(
        "a@x", 40, 0, datetime(2005, 1, 1, tzinfo=UTC), datetime(2015, 1, 1, tzinfo=UTC), 20
    )
    assert tie_score(one_way) < tie_score(ONE_OFF)
    assert tie_score(contact("z@x", 0, 0, None, None, threads=0)) == 0.0


def test_full_order_is_deterministic_whatever_the_input_order() -> None:
    people = [LONG_TIE, ONE_OFF, LOPSIDED, BALANCED]
    expected = [LONG_TIE, BALANCED, LOPSIDED, ONE_OFF]
    rng = random.Random(7)
    for _ in range(10):
        shuffled = people[:]
        rng.shuffle(shuffled)
        assert rank_dormant(shuffled, NOW) == expected


def test_equal_ties_break_on_silence_then_email() -> None:
    first = datetime(2010, 1, 1, tzinfo=UTC)
    last = datetime(2015, 1, 1, tzinfo=UTC)
    b = contact("b@x", 3, 3, first, last)
    a = contact("a@x", 3, 3, first, last)
    c = contact("c@x", 3, 3, first, last)
    assert [x.email for x in rank_dormant([c, b, a], NOW)] == ["a@x", "b@x", "c@x"]
    # Same score, longer silence first (same span, shifted earlier).
    older = contact("z@x", 3, 3, datetime(2005, 1, 1, tzinfo=UTC), datetime(2010, 1, 1, tzinfo=UTC))
    assert tie_score(older) == tie_score(a)
    assert rank_dormant([a, older], NOW)[0] is older


def test_excluded_contacts_are_left_out_and_input_accepts_iterables() -> None:
    excluded = contact("x@x", 50, 50, None, None, threads=30, excluded=True)
    ranked = rank_dormant(iter([ONE_OFF, excluded]), NOW)
    assert ranked == [ONE_OFF]


def test_naive_and_aware_datetimes_do_not_crash() -> None:
    naive = contact("n@x", 2, 2, datetime(2010, 1, 1), datetime(2012, 1, 1))
    assert rank_dormant([naive, ONE_OFF], NOW)[0] is naive
