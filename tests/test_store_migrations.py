"""A state written by the previous release opens, and its times and job table are converted."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from worker.store import MIGRATIONS, Store
from worker.store.reconnections import ReconnectionKind, ReconnectionStatus
from worker.store.reminders import ReminderKind, Reminders, ReminderStatus


def old_state(path: Path) -> None:
    """A state as release 0.1.0 left it: six migrations, times written three ways, a job table."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(
        "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    for version, (name, step) in enumerate(MIGRATIONS[:6], start=1):
        db.execute("BEGIN")
        step(db)
        db.execute(
            "INSERT INTO migrations VALUES (?, ?, ?)", (version, name, "2026-01-01T00:00:00")
        )
        db.execute("COMMIT")
    # 0.1.0 stamped reconnections with microseconds, reminders without
    db.execute(
        "INSERT INTO reconnections (id, email, kind, status, subject, message_id, language, "
        "created_at, updated_at) VALUES ('reconnect-1', 'alice@example.net', 'reconnection', "
        "'declined', 'Hello', '<a@x>', 'en', '2026-03-01T12:00:00.123456+00:00', "
        "'2026-03-02T09:30:15.999999+00:00')"
    )
    db.execute(
        "INSERT INTO reminders (email, kind, due, status, reconnection, detail, created_at, "
        "updated_at) VALUES ('alice@example.net', 'gift', '2026-03-15T12:00:00+00:00', 'pending', "
        "'reconnect-1', '{\"name\": \"Alice\"}', '2026-03-01T12:00:00+00:00', "
        "'2026-03-01T12:00:00+00:00')"
    )
    # what APScheduler's SQLAlchemy job store made in the same file
    db.execute(
        "CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, next_run_time FLOAT, "
        "job_state BLOB NOT NULL)"
    )
    db.execute("INSERT INTO apscheduler_jobs VALUES ('scan', 1.0, x'00')")
    db.close()


def test_an_old_state_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    old_state(path)
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        (row,) = store.reconnections.list()
        assert row.kind is ReconnectionKind.RECONNECTION
        assert row.status is ReconnectionStatus.DECLINED
        assert row.created_at == datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
        assert row.updated_at == datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)
        (reminder,) = Reminders(store).list()
        assert reminder.kind is ReminderKind.GIFT and reminder.status is ReminderStatus.PENDING
        assert reminder.due == datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
        assert reminder.name == "Alice"
        stored = store.query("SELECT created_at, updated_at FROM reconnections")[0]
        assert tuple(stored) == ("2026-03-01T12:00:00+00:00", "2026-03-02T09:30:15+00:00")
        tables = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "apscheduler_jobs" not in tables
    # and once more: nothing left to do, nothing changes
    before = path.read_bytes()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
    assert path.read_bytes() == before


def test_stamps_compare_as_text_across_the_old_forms(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    old_state(path)
    with Store(path) as store:
        due = Reminders(store).due_now(datetime(2026, 3, 15, 12, 0, 0, tzinfo=UTC))
        assert [r.email for r in due] == ["alice@example.net"]
        assert not Reminders(store).due_now(datetime(2026, 3, 15, 11, 59, 59, tzinfo=UTC))
