"""Reply matching (pure) and the reminder queue on a real SQLite state (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from worker.daemon.watch import backoff, is_activity, is_bye, is_dead_silence
from worker.errors import UsageError
from worker.followup.delivery import prompt_for, prompt_message_id
from worker.followup.matching import MessageView, SentReconnection, find_reply, match_reply
from worker.model import Address, MessageFacts
from worker.store import Store
from worker.store.reminders import Reminders, keep_in_touch_due
from worker.store.timecodec import encode_stamp as encode_due

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SENT = SentReconnection(
    id="reconnect-1",
    email="alice@example.net",
    message_ids=frozenset({"<sent@me.example>", "<draft@me.example>"}),
    sent_at=T0,
    language="en",
)


def view(**kw: object) -> MessageView:
    base: dict[str, object] = dict(
        row_id=1,
        folder="INBOX",
        uid=1,
        message_id="<r@x>",
        sender="alice@example.net",
        time=T0 + timedelta(hours=1),
    )
    base.update(kw)
    return MessageView(**base)  # type: ignore[arg-type]


# -- matching ----------------------------------------------------------------------------


def test_in_reply_to_names_the_sent_message() -> None:
    assert match_reply(view(in_reply_to="<sent@me.example>"), SENT) == "headers"


def test_references_naming_the_draft_message_id_count() -> None:
    assert match_reply(view(references=("<other@x>", "<draft@me.example>")), SENT) == "headers"


def test_headers_win_even_when_the_reply_is_dated_before_the_send() -> None:
    early = view(in_reply_to="<sent@me.example>", time=T0 - timedelta(minutes=3))
    assert match_reply(early, SENT) == "headers"


def test_fallback_any_later_message_from_the_contact() -> None:
    assert match_reply(view(), SENT) == "later"
    assert match_reply(view(in_reply_to="<unrelated@x>"), SENT) == "later"


def test_earlier_message_without_headers_is_no_reply() -> None:
    assert match_reply(view(time=T0 - timedelta(days=1)), SENT) is None


def test_other_senders_never_match() -> None:
    assert (
        match_reply(view(sender="bob@example.net", in_reply_to="<sent@me.example>"), SENT) is None
    )
    assert match_reply(view(sender=None), SENT) is None


def test_sender_compares_case_insensitively() -> None:
    assert match_reply(view(sender="Alice@Example.NET"), SENT) == "later"


@pytest.mark.parametrize("reason", ["auto-submitted", "list-id", "multipart/report", "subject"])
def test_automated_mail_is_never_a_reply(reason: str) -> None:
    assert match_reply(view(automated=reason, in_reply_to="<sent@me.example>"), SENT) is None
    assert match_reply(view(automated=reason), SENT) is None


def test_kizuna_written_mail_is_never_a_reply() -> None:
    assert match_reply(view(kizuna_kind="thank-you"), SENT) is None


def test_find_reply_prefers_headers_over_an_earlier_later_message() -> None:
    chatter = view(row_id=1, message_id="<chat@x>", time=T0 + timedelta(minutes=5))
    answer = view(
        row_id=2,
        message_id="<ans@x>",
        in_reply_to="<sent@me.example>",
        time=T0 + timedelta(hours=2),
    )
    assert find_reply([chatter, answer], SENT) == (answer, "headers")
    assert find_reply([chatter], SENT) == (chatter, "later")
    assert find_reply([view(automated="x")], SENT) is None
    assert find_reply([], SENT) is None


# -- the reminder queue -------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "state.db") as db:
        yield db


def _queue(store: Store, kind: str, due: datetime, seq: int = 0, rid: str = "reconnect-1") -> bool:
    with store.transaction() as db:
        return Reminders.queue(
            db,
            email="alice@example.net",
            kind=kind,
            due=due,
            reconnection=rid,
            seq=seq,
            detail={
                "name": "Alice",
                "language": "en",
                "draft_subject": "Re: Hi",
                "quote": "So good!",
            },
        )


def test_queueing_is_idempotent(store: Store) -> None:
    assert _queue(store, "thank-you", T0)
    assert not _queue(store, "thank-you", T0 + timedelta(seconds=5))
    assert _queue(store, "gift", T0)
    assert [r.kind for r in Reminders(store).list()] == ["thank-you", "gift"]


def test_list_json_shape(store: Store) -> None:
    _queue(store, "gift", T0)
    (doc,) = [r.to_json() for r in Reminders(store).list()]
    assert doc == {
        "id": 1,
        "email": "alice@example.net",
        "kind": "gift",
        "due": "2026-03-01T12:00:00+00:00",
        "status": "pending",
        "name": "Alice",
        "draft_subject": "Re: Hi",
        "favour": None,
    }


def test_due_now_status_and_snooze(store: Store) -> None:
    reminders = Reminders(store)
    _queue(store, "thank-you", T0)
    _queue(store, "gift", T0 + timedelta(days=14))
    assert [r.kind for r in reminders.due_now(T0)] == ["thank-you"]
    assert [r.kind for r in reminders.due_now(T0 + timedelta(days=14))] == ["thank-you", "gift"]
    reminders.set_status(1, "done")
    assert reminders.get(1).status == "done"
    snoozed = reminders.snooze(2, 3, now=T0)
    assert snoozed.due == T0 + timedelta(days=3) and snoozed.status == "pending"
    with pytest.raises(UsageError):
        reminders.set_status(2, "pending")
    with pytest.raises(UsageError):
        reminders.get(99)
    with pytest.raises(UsageError):
        reminders.snooze(2, -1)


def test_delivered_keep_in_touch_queues_the_next_one(store: Store) -> None:
    reminders = Reminders(store, keep_in_touch_days=30)
    _queue(store, "keep-in-touch", T0)
    (due,) = reminders.due_now(T0)
    reminders.delivered(due, now=T0)
    reminders.delivered(due, now=T0)  # a second mark changes nothing
    rows = reminders.list()
    assert [(r.seq, r.status, r.due) for r in rows] == [
        (0, "delivered", T0),
        (1, "pending", T0 + timedelta(days=30)),
    ]
    assert rows[0].deliveries == 1


def test_failed_delivery_counts_and_stays_pending(store: Store) -> None:
    reminders = Reminders(store)
    _queue(store, "gift", T0)
    reminders.failed(1, "SMTP login refused")
    reminders.failed(1, "SMTP login refused")
    r = reminders.get(1)
    assert (r.status, r.attempts, r.last_error) == ("pending", 2, "SMTP login refused")


def test_keep_in_touch_due_moves_only_forward() -> None:
    due = T0 + timedelta(days=180)
    assert keep_in_touch_due(due, T0 + timedelta(days=10), 180) == T0 + timedelta(days=190)
    assert keep_in_touch_due(due, T0 - timedelta(days=10), 180) == due
    assert keep_in_touch_due(due, None, 180) == due


def _add_message(
    store: Store,
    uid: int,
    frm: str,
    to: str,
    when: datetime,
    *,
    automated: str | None = None,
    folder: str = "INBOX",
) -> None:
    facts = MessageFacts(
        message_id=f"<m{uid}@x>",
        date=when,
        sender=Address(frm),
        recipients=(Address(to),),
        subject="hi",
        automated=automated,
        recipient_count=1,
    )
    with store.transaction() as db:
        db.execute("INSERT OR IGNORE INTO folders (name, uidvalidity) VALUES (?, 1)", (folder,))
        store.add_messages(db, folder, [(uid, facts)])


def test_keep_in_touch_reset_by_new_mail_either_way(store: Store) -> None:
    """Store level: the nudge moves to last contact + days after mail in or out, not after automated mail."""
    me, alice = "me@example.com", "alice@example.net"
    reminders = Reminders(store, keep_in_touch_days=180)
    _add_message(store, 1, me, alice, T0 - timedelta(days=2))
    _add_message(store, 2, alice, me, T0)
    _queue(store, "keep-in-touch", T0 + timedelta(days=180))

    def last() -> datetime | None:
        (contact,) = store.contacts(frozenset({me}), 20, email=alice)
        return contact.last_contact

    # an auto-reply from her is not contact: nothing moves
    _add_message(store, 3, alice, me, T0 + timedelta(days=20), automated="auto-submitted")
    assert not reminders.reset_keep_in_touch(alice, last())
    # I write to her (Sent): due = that + 180 days
    _add_message(store, 4, me, alice, T0 + timedelta(days=30), folder="Sent")
    assert reminders.reset_keep_in_touch(alice, last())
    assert reminders.get(1).due == T0 + timedelta(days=210)
    # she writes to me: due = that + 180 days
    _add_message(store, 5, alice, me, T0 + timedelta(days=40))
    assert reminders.reset_keep_in_touch(alice, last())
    assert reminders.get(1).due == T0 + timedelta(days=220)
    assert not reminders.reset_keep_in_touch(alice, last())  # idempotent


def test_encode_due_is_sortable_text() -> None:
    assert encode_due(T0.replace(microsecond=123)) == "2026-03-01T12:00:00+00:00"
    with pytest.raises(ValueError):
        encode_due(datetime(2026, 1, 1))


# -- prompts and watch helpers (pure) ----------------------------------------------------------


def test_prompt_for_each_kind_and_message_id(store: Store) -> None:
    _queue(store, "thank-you", T0)
    _queue(store, "gift", T0)
    _queue(store, "keep-in-touch", T0)
    thank, gift, keep = Reminders(store).list()
    assert "So good!" in prompt_for(thank, None, T0).body
    assert prompt_for(gift, None, T0).kind == "gift"
    assert "2026-01-01" in prompt_for(keep, datetime(2026, 1, 1, tzinfo=UTC), T0).body
    assert (
        prompt_message_id(thank, "s4lt", "example.com") == "<kizuna-reminder-1.0.s4lt@example.com>"
    )


def test_watch_helpers() -> None:
    assert is_activity([(4, b"EXISTS")]) and is_activity([(2, b"EXPUNGE")])
    assert not is_activity([(b"OK", b"Still here")])
    assert is_bye([(b"BYE", b"Disconnected for inactivity.")])
    assert is_dead_silence([], 0.001, 1.0) and not is_dead_silence([], 1.0, 1.0)
    assert not is_dead_silence([(1, b"EXISTS")], 0.0, 1.0)
    assert [backoff(i, cap=10) for i in range(6)] == [1, 2, 4, 8, 10, 10]
