"""The big-scan paths: a helper process staging batches, and indexes built after a bulk load.

Each is held to the plain scan: the same rows in the state, the same contacts.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from imapclient import IMAPClient

import worker.scan.helper as helper_module
import worker.scan.scanner as scan_module
import worker.store.messages as store_module
from tests.support.dovecot import DevMail
from tests.support.factories import Cli, message, write_config
from worker.config import load_config
from worker.core import Kizuna
from worker.model import Address, MessageFacts
from worker.store import Staging, Store
from worker.store.messages import _MESSAGE_INDEXES

INDEXES = set(_MESSAGE_INDEXES)


def _fill(server: DevMail) -> None:
    for i in range(30):
        server.write_maildir(
            "INBOX",
            message(
                f"p{i % 7}@example.net",
                "me@example.com",
                f"m{i}",
                f"Thu, 01 Jan 2015 10:{i % 60:02d}:00 +0000",
            ),
        )
        server.write_maildir(
            "Sent",
            message(
                "me@example.com",
                [f"p{i % 7}@example.net", "x@example.org"],
                f"r{i}",
                f"Fri, 02 Jan 2015 10:{i % 60:02d}:00 +0900",
            ),
        )
        if i % 3 == 0:
            server.write_maildir(
                "Archive",
                message(
                    f"=?UTF-8?B?5bGx55Sw?= <a{i}@example.jp>", "me@example.com", "old", "bad date"
                ),
            )
    server.fix_ownership()


def _rows(cli: Cli) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with Kizuna(load_config(cli.config)) as kizuna:
        return (
            [
                tuple(r)
                for r in kizuna.store.query(
                    "SELECT folder, uid, mkey, message_id, tkey, sender, sender_name, subject, thread, "
                    "in_reply_to, refs, automated, rcpt_count, kizuna_id, kizuna_kind FROM messages "
                    "ORDER BY folder, uid"
                )
            ],
            [
                tuple(r)
                for r in kizuna.store.query(
                    "SELECT m.folder, m.uid, r.email, r.name FROM recipients r JOIN messages m "
                    "ON m.id = r.msg ORDER BY m.folder, m.uid, r.rowid"
                )
            ],
        )


def _indexes(cli: Cli) -> set[str]:
    db = sqlite3.connect(cli.state)
    try:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        db.close()


@pytest.fixture
def plain(dovecot: DevMail, tmp_path: Path) -> Cli:
    """The mailbox of :func:`_fill`, scanned the plain way (one process, batches of 7)."""
    _fill(dovecot)
    cli = write_config(dovecot, tmp_path / "plain", api={"enabled": False})
    with Kizuna(load_config(cli.config)) as kizuna:
        assert kizuna.scan(progress=False, batch_size=7).new_messages == 70
    return cli


@pytest.mark.parametrize("scan_delay", [0.05, 0.2])
def test_a_helper_process_indexes_the_same(
    dovecot: DevMail, plain: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scan_delay: float
) -> None:
    # 70 messages in 12 batches of at most 7, the scan slowed down (a tiny
    # scan would be over before the helper logs in): the helper, working from
    # the end, takes some or most of them, meeting the scan where it is
    monkeypatch.setattr(scan_module, "PREFETCH_MIN_MESSAGES", 0)
    taken: list[tuple[str, int, bool]] = []
    real_take = helper_module.Prefetch.take

    def counting_take(
        self: helper_module.Prefetch, name: str, index: int, uids: list[int]
    ) -> object:
        staged = real_take(self, name, index, uids)
        taken.append((name, index, staged is not None))
        return staged

    monkeypatch.setattr(helper_module.Prefetch, "take", counting_take)
    examined: list[str] = []  # by this process (the helper is a fork: its calls are not seen here)
    real_select = IMAPClient.select_folder

    def counting_select(self: IMAPClient, folder: str, readonly: bool = False) -> object:
        examined.append(folder)
        return real_select(self, folder, readonly)

    monkeypatch.setattr(IMAPClient, "select_folder", counting_select)
    helped = write_config(dovecot, tmp_path / "helped", api={"enabled": False})
    with Kizuna(load_config(helped.config)) as kizuna:
        result = kizuna.scan(
            progress=False, batch_size=7, parallel=True, on_batch=lambda *_: time.sleep(scan_delay)
        )
        assert kizuna.store.row_count() == 70
    assert result.new_messages == 70
    assert len(taken) == 12 and len({(name, index) for name, index, _ in taken}) == 12
    staged = [hit for *_, hit in taken]
    assert any(staged), taken  # the helper did deliver batches, the last ones
    assert staged == sorted(staged), taken  # the scan's first, the helper's after
    # a folder the helper staged in full is not examined (nor searched) again here
    own = {name for name, _, hit in taken if not hit}
    assert set(examined) == own and len(examined) == len(own), (examined, taken)
    if scan_delay > 0.1:
        assert sum(staged) >= 6, taken
    assert _rows(helped) == _rows(plain)
    assert helped.json("contacts") == plain.json("contacts")
    assert not list(Path(helper_module.tempfile.gettempdir()).glob("kizuna-scan-*/staging.db"))
    assert not multiprocessing.active_children()  # the helper is gone, not left a zombie


def test_mail_arriving_mid_scan_is_counted_once(
    dovecot: DevMail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The helper stages the end of the mailbox first; then mail arrives in
    # every folder. Where the scan looks at a folder itself after the helper
    # did, the two looks differ: it fetches the changed batches itself,
    # skipping UIDs already copied in. Late mail in a folder already looked
    # at comes with the next scan; nothing is counted twice or lost.
    _fill(dovecot)
    monkeypatch.setattr(scan_module, "PREFETCH_MIN_MESSAGES", 0)
    arrived = []

    def slow_then_new_mail(*_: object) -> None:
        time.sleep(0.2)
        if not arrived:
            arrived.append(1)
            for folder in ("INBOX", "Sent", "Archive"):
                dovecot.append(
                    folder, message("late@example.net", "me@example.com", f"late {folder}")
                )

    cli = write_config(dovecot, tmp_path / "moving", api={"enabled": False})
    with Kizuna(load_config(cli.config)) as kizuna:
        result = kizuna.scan(
            progress=False, batch_size=7, parallel=True, on_batch=slow_then_new_mail
        )
        first = kizuna.store.row_count()
        assert result.new_messages == first >= 70  # every row it added counted, once
        assert kizuna.scan(progress=False).new_messages == 73 - first
        assert kizuna.store.row_count() == 73
    plain = write_config(dovecot, tmp_path / "plain", api={"enabled": False})
    with Kizuna(load_config(plain.config)) as kizuna:
        kizuna.scan(progress=False, batch_size=7)
    assert _rows(cli) == _rows(plain)


def test_a_rescan_with_nothing_new_counts_nothing_again(
    plain: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what a rescan costs must not grow with the mailbox: no count over all messages
    counted: list[str] = []
    real_query = Store.query

    def watching_query(self: Store, sql: str, params: object = ()) -> object:
        if "COUNT(" in sql.upper():
            counted.append(sql)
        return real_query(self, sql, params)  # type: ignore[arg-type]

    with Kizuna(load_config(plain.config)) as kizuna:
        before = kizuna.scan(progress=False)
        monkeypatch.setattr(Store, "query", watching_query)
        again = kizuna.scan(progress=False)
    assert again.to_json() == before.to_json() and again.new_messages == 0
    assert counted == []


def test_claims_never_overlap() -> None:
    import multiprocessing

    claims = helper_module.Claims(multiprocessing.get_context("fork"))
    assert claims.scan_claims(0) and claims.scan_claims(1)
    assert claims.helper_claims(5) and claims.helper_claims(4) and claims.helper_claims(3)
    assert claims.scan_claims(2)
    assert not claims.helper_claims(2)  # the scan has it
    assert not claims.scan_claims(3)  # the helper has it
    claims.stop_helper()
    assert not claims.helper_claims(10**6)
    assert claims.scan_claims(2)  # the scan goes on with what it has...
    assert not claims.helper_claims(10**6)  # ...and the helper stays stopped


def test_the_scan_finishes_alone_when_the_helper_dies(
    dovecot: DevMail, plain: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "PREFETCH_MIN_MESSAGES", 0)
    real_add = Staging.add
    staged = []

    def add_then_die(self: Staging, *args: object) -> object:  # runs in the helper only
        if len(staged) == 2:
            raise OSError("disk gone")
        staged.append(1)
        return real_add(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Staging, "add", add_then_die)
    copied = []  # in this process: the staged batches that reached the state
    real_merge = Store.merge_staged

    def counting_merge(self: Store, db: object, batch: object) -> object:
        copied.append(batch)
        return real_merge(self, db, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "merge_staged", counting_merge)
    helped = write_config(dovecot, tmp_path / "helped", api={"enabled": False})
    with Kizuna(load_config(helped.config)) as kizuna:  # slowed, so the helper gets to fail
        result = kizuna.scan(
            progress=False, batch_size=7, parallel=True, on_batch=lambda *_: time.sleep(0.05)
        )
        assert result.new_messages == 70 == kizuna.store.row_count() == len(set(result.new_ids))
    assert (
        len(copied) == 2
    )  # the helper did stage two batches before it failed; the scan did the rest
    assert _rows(helped) == _rows(plain)
    assert helped.json("contacts") == plain.json("contacts")


def test_a_bulk_load_builds_the_indexes_at_the_end(
    dovecot: DevMail, plain: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "BULK_MIN_MESSAGES", 10)
    monkeypatch.setattr(store_module, "_BULK_CHECKPOINT_ROWS", 40)  # about every other batch
    checkpoints = []
    real_checkpoint = Store._checkpoint_in_background

    def counting_checkpoint(self: Store) -> None:
        checkpoints.append(self.db.total_changes)
        real_checkpoint(self)

    monkeypatch.setattr(Store, "_checkpoint_in_background", counting_checkpoint)
    seen: list[set[str]] = []
    bulk = write_config(dovecot, tmp_path / "bulk", api={"enabled": False})
    with Kizuna(load_config(bulk.config)) as kizuna:
        kizuna.scan(progress=False, batch_size=7, on_batch=lambda *_: seen.append(_indexes(bulk)))
    assert seen and all(not (INDEXES & names) for names in seen)  # none kept up row by row
    assert len(checkpoints) >= 3  # along the way (off the commits) and at the end
    assert INDEXES <= _indexes(bulk)
    assert _rows(bulk) == _rows(plain)
    # a later scan with little new mail keeps them
    dovecot.write_maildir("INBOX", message("p1@example.net", "me@example.com", "new"))
    dovecot.fix_ownership()
    seen.clear()
    with Kizuna(load_config(bulk.config)) as kizuna:
        assert (
            kizuna.scan(
                progress=False, batch_size=7, on_batch=lambda *_: seen.append(_indexes(bulk))
            ).new_messages
            == 1
        )
    assert seen == [_indexes(bulk)] and INDEXES <= seen[0]


def test_with_a_helper_the_indexes_are_built_while_it_still_works(
    dovecot: DevMail, plain: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "PREFETCH_MIN_MESSAGES", 0)
    monkeypatch.setattr(scan_module, "BULK_MIN_MESSAGES", 10)
    monkeypatch.setattr(scan_module, "EARLY_INDEX_SHARE", 0.5)  # early, so the test sees it
    built_with: list[int | None] = []
    real_build = Store.build_indexes

    def noting_build(self: Store) -> None:
        assert not (INDEXES & _indexes(cli))  # dropped for the bulk load until now
        prefetch = scanner_prefetch[0]
        built_with.append(prefetch.unclaimed() if prefetch is not None else None)
        real_build(self)

    scanner_prefetch: list[helper_module.Prefetch | None] = []
    real_init = helper_module.Prefetch.__init__

    def keeping_init(self: helper_module.Prefetch, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        scanner_prefetch.append(self)

    real_stage = Staging.add

    def slow_stage(self: Staging, *args: object) -> object:  # the helper: as slow as the scan
        time.sleep(0.1)
        return real_stage(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "build_indexes", noting_build)
    monkeypatch.setattr(helper_module.Prefetch, "__init__", keeping_init)
    monkeypatch.setattr(Staging, "add", slow_stage)
    seen: list[set[str]] = []
    cli = write_config(dovecot, tmp_path / "early", api={"enabled": False})
    with Kizuna(load_config(cli.config)) as kizuna:
        result = kizuna.scan(
            progress=False,
            batch_size=7,
            parallel=True,
            on_batch=lambda *_: (seen.append(_indexes(cli)), time.sleep(0.1)),
        )
        assert result.new_messages == 70 == kizuna.store.row_count()
    assert len(built_with) == 1 and built_with[0] is not None and built_with[0] <= 35, built_with
    assert not (INDEXES & seen[0]) and INDEXES <= seen[-1]  # built mid-scan, kept up after
    assert _rows(cli) == _rows(plain)
    assert cli.json("contacts") == plain.json("contacts")


def test_indexes_come_back_after_a_bulk_load_is_cut_off(
    dovecot: DevMail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(dovecot)
    monkeypatch.setattr(scan_module, "BULK_MIN_MESSAGES", 10)
    cli = write_config(dovecot, tmp_path / "cut", api={"enabled": False})

    def cut(*_: object) -> None:
        raise KeyboardInterrupt

    with Kizuna(load_config(cli.config)) as kizuna, pytest.raises(KeyboardInterrupt):
        kizuna.scan(progress=False, batch_size=7, on_batch=cut)
    assert INDEXES <= _indexes(cli)  # rebuilt on the way out
    # killed outright: the next opening of the state builds them
    db = sqlite3.connect(cli.state)
    for name in INDEXES:
        db.execute(f"DROP INDEX {name}")
    db.commit()
    db.close()
    Store(cli.state).close()
    assert INDEXES <= _indexes(cli)
    assert cli.json("scan")["new_messages"] == 63  # and the scan goes on from its cursor


def test_a_parallel_scan_cut_off_resumes_to_the_same_state(
    dovecot: DevMail, plain: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # cut off after the scan's third batch, with staged batches of the helper
    # already copied in beyond their folders' cursors: the next scan (plain)
    # must end with exactly the plain scan's rows, and nothing left behind
    monkeypatch.setattr(scan_module, "PREFETCH_MIN_MESSAGES", 0)
    monkeypatch.setattr(scan_module, "BULK_MIN_MESSAGES", 10)
    batches = []

    def staged_rows() -> int:
        total = 0
        for path in Path(helper_module.tempfile.gettempdir()).glob("kizuna-scan-*/staging.db"):
            db = sqlite3.connect(path)
            try:
                total += db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            except sqlite3.Error:
                pass
            finally:
                db.close()
        return total

    def cut(*_: object) -> None:
        batches.append(1)
        deadline = time.monotonic() + 20
        while len(batches) == 1 and not staged_rows() and time.monotonic() < deadline:
            time.sleep(0.05)  # the helper staged a batch before the scan goes on
        time.sleep(0.2)
        if len(batches) == 3:
            raise KeyboardInterrupt

    cli = write_config(dovecot, tmp_path / "cut", api={"enabled": False})
    with Kizuna(load_config(cli.config)) as kizuna, pytest.raises(KeyboardInterrupt):
        kizuna.scan(progress=False, batch_size=7, parallel=True, on_batch=cut)
    with Kizuna(load_config(cli.config)) as kizuna:
        cut_rows = kizuna.store.row_count()
        assert cut_rows > 3 * 7  # the helper's batches were kept too
        kizuna.scan(progress=False, batch_size=7)
        assert kizuna.store.row_count() == 70
    assert INDEXES <= _indexes(cli)
    assert _rows(cli) == _rows(plain)
    assert cli.json("contacts") == plain.json("contacts")
    assert not list(Path(helper_module.tempfile.gettempdir()).glob("kizuna-scan-*/staging.db"))


def _facts(n: int) -> MessageFacts:
    return MessageFacts(
        f"<m{n}@x.example>",
        datetime(2020, 1, n + 1, tzinfo=UTC),
        Address(f"s{n}@x.example", f"S {n}"),
        (Address("me@example.com", "Me"), Address(f"c{n}@x.example", "")),
        f"Re: subject {n}",
        None,
        (),
        None,
        2,
        None,
        None,
    )


def test_merging_a_staged_batch_equals_adding_it(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "staging.db")
    first = staging.add("INBOX", [(1, _facts(1)), (2, _facts(2))])
    second = staging.add("INBOX", [(3, _facts(3)), (4, _facts(4)), (5, _facts(5))])
    staging.close()
    assert (second.first, second.last, second.first_recipient, second.last_recipient) == (
        3,
        5,
        5,
        10,
    )
    merged, added = Store(tmp_path / "merged.db"), Store(tmp_path / "added.db")
    with added.transaction() as db:  # the same rows the plain way, UID 3 known already
        added.add_messages(db, "Sent", [(7, _facts(7))])
        added.add_messages(db, "INBOX", [(3, _facts(3))])
        assert added.add_messages(db, "INBOX", [(u, _facts(u)) for u in (1, 2, 3, 4, 5)]) == [
            3,
            4,
            5,
            6,
        ]
    with merged.transaction() as db:
        merged.add_messages(db, "Sent", [(7, _facts(7))])
        merged.add_messages(db, "INBOX", [(3, _facts(3))])
    merged.attach_staging(tmp_path / "staging.db")
    with merged.transaction() as db:
        assert merged.merge_staged(db, first) == [3, 4]
        # UID 3 is skipped with its recipients; its id stays unused (ids only need to grow)
        assert merged.merge_staged(db, second) == [6, 7]
    merged.detach_staging()
    dump = "SELECT m.*, r.email, r.name FROM messages m LEFT JOIN recipients r ON r.msg = m.id ORDER BY m.uid, r.rowid"
    merged_rows = [tuple(r)[1:] for r in merged.query(dump)]
    added_rows = [tuple(r)[1:] for r in added.query(dump)]
    assert merged_rows == added_rows and len(merged_rows) == 12
