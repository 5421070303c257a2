"""The scan: sync every folder's header facts into the state, read-only.

Read-only by construction: folders are opened with EXAMINE and messages are
fetched with ``BODY.PEEK[HEADER.FIELDS (...)]``, so no flag changes (unread
stays unread). Each folder is fetched in UID batches; each batch is committed
together with the folder's cursor, so a scan cut off half-way keeps what it
committed and the next run goes on from there. A UIDVALIDITY change forgets
that folder's cached UIDs (RFC 4549) and fetches it again.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import imapclient
from imapclient.exceptions import IMAPClientError
from tqdm import tqdm

from worker.config import Config
from worker.errors import FolderError, KizunaError, MailServerError
from worker.mail.folders import FolderPlan, plan_folders
from worker.mail.imap import leave_folder
from worker.scan.helper import (
    Job,
    Prefetch,
    chunks,
    fork_available,
    parse_batch,
    uids_after,
)
from worker.store import FolderCursor, Store

__all__ = ["ScanResult", "Scanner"]

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    """What one scan did (the contract's ``scan --json``, plus the new rows)."""

    folders: int = 0
    messages: int = 0
    new_messages: int = 0
    contacts: int = 0
    new_ids: list[int] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, int]:
        return {
            "folders": self.folders,
            "messages": self.messages,
            "new_messages": self.new_messages,
            "contacts": self.contacts,
        }


PREFETCH_MIN_MESSAGES = 4000
#: A scan adding at least this many messages, and at least half as many as the
#: state holds, builds the message indexes once instead of row by row.
BULK_MIN_MESSAGES = 10000
#: With a helper, such a scan builds the indexes when about this share of its
#: messages is left unclaimed: the helper parses on while this process builds
#: them, and only the few rows after pay for keeping the indexes up to date.
#: (At 100,000 messages the build takes ~0.3 s, in which the helper, sharing
#: two cores with this process and the server, gets through 4-5% of the scan.)
EARLY_INDEX_SHARE = 0.05


def _new_counts(
    store: Store, work: Sequence[tuple[str, tuple[int, int, int, int | None]]]
) -> list[tuple[Job, int]]:
    """The job of each folder with news, and about how many new messages it has."""
    todo = []
    for name, (uidvalidity, uidnext, exists, _modseq) in work:
        cursor = store.cursor(name)
        if cursor is None or cursor.uidvalidity != uidvalidity:
            todo.append(((name, uidvalidity, 0, uidnext, exists), exists))
        elif cursor.uidnext != uidnext or cursor.exists_count != exists:
            todo.append(
                (
                    (name, uidvalidity, cursor.last_uid, uidnext, exists),
                    max(0, uidnext - cursor.last_uid - 1),
                )
            )
    return todo


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a scan's batches.

    A scan allocates millions of short-lived objects and makes no reference
    cycles, so the collector only walks the long-lived heap over and over
    (a sixth of the parsing time). Reference counting still frees everything.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Scanner:
    """Syncs the mailbox into a :class:`Store`.

    ``on_batch`` is called after each committed batch with the folder name and
    the number of messages committed (tests use it to cut a scan off).
    """

    _prefetch: Prefetch | None = None
    # build the indexes of a bulk load once at most this many messages are unclaimed
    _index_at: int | None = None

    def __init__(
        self,
        config: Config,
        store: Store,
        client: imapclient.IMAPClient,
        *,
        batch_size: int = 2000,
        progress: bool | None = None,
        on_batch: Callable[[str, int], None] | None = None,
        parallel: bool = False,
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.batch_size = batch_size
        self.progress = progress
        self.on_batch = on_batch
        # A helper process is forked only where that is safe: not from the
        # threaded daemon (fork copies no threads but their held locks).
        self.parallel = parallel

    def plan(self) -> FolderPlan:
        try:
            return plan_folders(self.client.list_folders())
        except (IMAPClientError, OSError) as exc:
            raise MailServerError(f"cannot list folders: {exc}") from None

    def run(self) -> ScanResult:
        """Scan every folder of the plan and return the counts."""
        names = self.plan().scan
        result = ScanResult(folders=len(names))
        for stale in set(self.store.known_folders()) - set(names):
            log.info("folder %s is gone or no longer scanned: forgetting it", stale)
            self.store.drop_folder(stale)
        work = [(name, self._status(name)) for name in names]
        todo = _new_counts(self.store, work)
        new = sum(count for _, count in todo)
        bar = tqdm(
            total=new or None,
            unit="msg",
            desc="scan",
            file=sys.stderr,
            disable=(not self.progress) if self.progress is not None else None,
            leave=False,
        )
        bulk = new >= BULK_MIN_MESSAGES and new * 2 >= self.store.row_count()
        # a helper, if there is enough new mail to be worth its fork and login
        helped = bool(todo) and self.parallel and new >= PREFETCH_MIN_MESSAGES and fork_available()
        try:
            with self.store.bulk_load(bulk), _collector_paused():
                if (
                    helped
                ):  # rows the helper stages may be copied in early: every folder ready first
                    for name, status in work:
                        self._cursor(name, status[0])
                    self._prefetch = Prefetch(self.config, self.store, todo, self.batch_size)
                    if bulk:
                        self._index_at = int(new * EARLY_INDEX_SHARE)
                for name, status in work:
                    result.new_ids.extend(self._sync(name, status, bar))
                if (
                    self._prefetch is not None
                ):  # copied in early, never reached (the folder changed)
                    for ids in self._prefetch.merged.values():
                        result.new_ids.extend(ids)
                    self._prefetch.release()  # the helper exits while the load is finished
        finally:
            bar.close()
            if self._prefetch is not None:
                self._prefetch.close()
                self._prefetch = None
        result.new_messages = len(result.new_ids)
        result.messages = self.store.message_count()
        return result

    def _status(self, name: str) -> tuple[int, int, int, int | None]:
        """(UIDVALIDITY, UIDNEXT, MESSAGES, HIGHESTMODSEQ) without selecting the folder."""
        items = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"]
        condstore = self.client.has_capability("CONDSTORE")
        if condstore:
            items.append(b"HIGHESTMODSEQ")
        try:
            status = self.client.folder_status(name, items)
        except (IMAPClientError, OSError) as exc:
            raise FolderError(f"cannot read status of folder {name}: {exc}", folder=name) from None
        return (
            int(status[b"UIDVALIDITY"]),
            int(status[b"UIDNEXT"]),
            int(status[b"MESSAGES"]),
            int(status[b"HIGHESTMODSEQ"]) if condstore and b"HIGHESTMODSEQ" in status else None,
        )

    def _sync(self, name: str, status: tuple[int, int, int, int | None], bar: tqdm) -> list[int]:
        uidvalidity, uidnext, exists, modseq = status
        cursor = self._cursor(name, uidvalidity)
        if cursor.uidnext == uidnext and cursor.exists_count == exists:
            return []  # nothing new, nothing expunged
        # a folder the helper staged in full needs no EXAMINE and no search here
        whole = self._prefetch.whole_folder(name) if self._prefetch is not None else None
        selected = False
        try:
            new_ids: list[int] = []
            if whole is not None:
                batches: Iterable[Sequence[int]] = whole
            else:
                self.client.select_folder(name, readonly=True)  # EXAMINE
                selected = True
                news = uidnext > cursor.last_uid + 1
                uids = uids_after(self.client, cursor.last_uid, uidnext, exists) if news else ()
                batches = chunks(uids, self.batch_size)
            for index, chunk in enumerate(batches):
                new_ids.extend(self._fetch_batch(name, index, chunk))
                bar.update(len(chunk))
            known = self.store.folder_count(name)
            if known != exists:
                if not selected:
                    self.client.select_folder(name, readonly=True)
                    selected = True
                present = set(self.client.search(["ALL"]))
                gone = self.store.folder_uids(name) - present
                if gone:
                    with self.store.transaction() as db:
                        self.store.remove_uids(db, name, gone)
            with self.store.transaction() as db:
                self.store.save_cursor(
                    db, name, uidnext=uidnext, highestmodseq=modseq, exists_count=exists
                )
            return new_ids
        except KizunaError:
            raise  # StateError is an OSError too: keep its own message
        except (IMAPClientError, OSError) as exc:
            raise FolderError(f"scan of folder {name} failed: {exc}", folder=name) from None
        finally:
            if selected:
                try:
                    leave_folder(self.client)
                except Exception:  # noqa: BLE001, S110 - a dead connection is reported above
                    pass

    def _cursor(self, name: str, uidvalidity: int) -> FolderCursor:
        """The folder's cursor; a new folder or a new UIDVALIDITY starts from scratch (RFC 4549)."""
        cursor = self.store.cursor(name)
        if cursor is None or cursor.uidvalidity != uidvalidity:
            if cursor is not None:
                log.warning("UIDVALIDITY of %s changed: rescanning the folder", name)
            with self.store.transaction() as db:
                self.store.reset_folder(db, name, uidvalidity)
            cursor = self.store.cursor(name)
        assert cursor is not None
        return cursor

    def _fetch_batch(self, name: str, index: int, uids: Sequence[int]) -> list[int]:
        prefetch = self._prefetch
        staged = prefetch.take(name, index, uids) if prefetch is not None else None
        batch = None
        if staged is None:
            batch = parse_batch(self.client, name, uids)
        with self.store.transaction() as db:
            if batch is not None:
                ids = self.store.add_messages(db, name, batch)
                count = len(batch)
            else:
                assert prefetch is not None and staged is not None
                found = prefetch.merged.pop(staged, None)
                ids = found if found is not None else self.store.merge_staged(db, staged)
                count = len(staged)
            self.store.save_cursor(db, name, last_uid=max(uids))
            if prefetch is not None:  # copy what the helper staged meanwhile (see Prefetch.merged)
                for early in prefetch.arrived():
                    prefetch.merged[early] = self.store.merge_staged(db, early)
        if self._index_at is not None and prefetch is not None:
            unclaimed = prefetch.unclaimed()
            if unclaimed is not None and unclaimed <= self._index_at:
                self._index_at = None
                self.store.build_indexes()  # while the helper parses on
        if self.on_batch:
            self.on_batch(name, count)
        return ids
