"""The scan: sync every folder's header facts into the state, read-only.

Read-only by construction: folders are opened with EXAMINE and messages are
fetched with ``BODY.PEEK[HEADER.FIELDS (...)]``, so no flag changes (unread
stays unread). Each folder is fetched in UID batches; each batch is committed
together with the folder's cursor, so a scan cut off half-way keeps what it
committed and the next run goes on from there. A UIDVALIDITY change forgets
that folder's cached UIDs (RFC 4549) and fetches it again.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial

import imapclient
from imapclient.exceptions import IMAPClientError
from tqdm import tqdm

from .config import Config
from .errors import FolderError, KizunaError, MailServerError
from .fetchreader import fetch_headers
from .folders import FolderPlan, plan_folders
from .model import Address, MessageFacts
from .rules import FETCH_FIELDS, parse_headers
from .store import Store

__all__ = ["ScanResult", "Scanner", "uid_ranges", "parse_internaldate"]

log = logging.getLogger(__name__)

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}


@dataclass
class ScanResult:
    """What one scan did (the contract's ``scan --json``, plus the new rows)."""

    folders: int = 0
    messages: int = 0
    new_messages: int = 0
    contacts: int = 0
    new_ids: list[int] = field(default_factory=list, repr=False)
    plan: FolderPlan | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, int]:
        return {
            "folders": self.folders,
            "messages": self.messages,
            "new_messages": self.new_messages,
            "contacts": self.contacts,
        }


def uid_ranges(uids: Sequence[int]) -> str:
    """A compact IMAP sequence set for sorted UIDs: ``1:5,7,9:12``."""
    parts: list[str] = []
    start = prev = None
    for uid in uids:
        if start is None:
            start = prev = uid
        elif uid == prev + 1:  # type: ignore[operator]
            prev = uid
        else:
            parts.append(f"{start}:{prev}" if start != prev else str(start))
            start = prev = uid
    if start is not None:
        parts.append(f"{start}:{prev}" if start != prev else str(start))
    return ",".join(parts)


def parse_internaldate(raw: bytes) -> datetime | None:
    """``17-Jul-1996 02:44:25 -0700`` to an aware datetime (None if malformed)."""
    try:
        date, time_, zone = raw.decode("ascii").strip().split(" ")
        day, mon, year = date.split("-")
        hh, mm, ss = time_.split(":")
        sign = -1 if zone[0] == "-" else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        return datetime(
            int(year), _MONTHS[mon.lower()], int(day), int(hh), int(mm), int(ss),
            tzinfo=timezone(offset),
        )
    except (ValueError, KeyError, IndexError, UnicodeDecodeError):
        return None


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# -- parallel prefetch ----------------------------------------------------------------
#
# Parsing header blocks is the scan's cost (the server streams far faster), so
# a big scan forks one helper process that fetches and parses the folders the
# scan reaches last on a connection of its own, while this process parses the
# first ones. The helper only sends facts; this process alone writes the state
# (one writer), batch by batch, exactly as if it had fetched them itself.

#: Below this many new messages a helper costs more (fork, login) than it saves.
PREFETCH_MIN_MESSAGES = 4000
#: The share of the new messages the helper parses: this process also writes
#: every row (about half the cost of parsing one), so the helper takes more.
PREFETCH_SHARE = 0.55

_Row = tuple[int, tuple[object, ...]]
_Job = tuple[str, int, int]  # folder, UIDVALIDITY, last UID already indexed


def _pack(facts: MessageFacts) -> tuple[object, ...]:
    sender = facts.sender
    return (
        facts.message_id, facts.date, (sender.email, sender.name) if sender else None,
        tuple((a.email, a.name) for a in facts.recipients), facts.subject, facts.in_reply_to,
        facts.references, facts.automated, facts.recipient_count, facts.kizuna_id, facts.kizuna_kind,
    )


def _unpack(row: tuple[object, ...]) -> MessageFacts:
    (mid, date, sender, recipients, subject, irt, refs, automated, count, kid, kkind) = row
    return MessageFacts(
        mid, date,  # type: ignore[arg-type]
        Address(*sender) if sender else None,  # type: ignore[misc]
        tuple(Address(e, n) for e, n in recipients),  # type: ignore[attr-defined]
        subject, irt, refs, automated, count, kid, kkind,  # type: ignore[arg-type]
    )


def _prefetch_main(
    config: Config, jobs: list[_Job], batch_size: int, out: multiprocessing.Queue, spool: int
) -> None:
    """The helper process: fetch and parse ``jobs`` the way :meth:`Scanner._sync` would."""
    name = ""
    offset = 0
    try:
        from .imap import connect  # noqa: PLC0415 - only the helper needs these
        from .vault import Vault  # noqa: PLC0415

        client = connect(config.account, Vault(config.state_dir).get)
        try:
            for name, _uidvalidity, last_uid in jobs:
                client.select_folder(name, readonly=True)
                uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
                for chunk in _chunks(uids, batch_size):
                    rows = [
                        (uid, _pack(parse_headers(header, partial(parse_internaldate, idate) if idate else None)))
                        for uid, idate, header in fetch_headers(client, uid_ranges(chunk), FETCH_FIELDS)
                    ]
                    # to the spool file, not the queue: the helper runs far ahead of the
                    # writer, and a backlog in memory would grow with the mailbox
                    data = memoryview(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
                    start = offset
                    while data:
                        written = os.pwrite(spool, data, offset)
                        data = data[written:]
                        offset += written
                    out.put((name, tuple(chunk), (start, offset - start)))
                out.put((name, None, None))
                client.unselect_folder()
        finally:
            try:
                client.logout()
            except Exception:  # noqa: BLE001, S110 - the scan goes on without us
                pass
    except BaseException as exc:  # noqa: BLE001 - reported; the scan fetches the rest itself
        out.put((name, "error", f"{type(exc).__name__}: {exc}"))


class _Prefetch:
    """A helper process working ahead on some folders; :meth:`take` its batches."""

    def __init__(self, config: Config, jobs: list[_Job], batch_size: int) -> None:
        ctx = multiprocessing.get_context("fork")
        # no batch for this long (twice the IMAP timeout): give up on the helper
        self.patience = 2 * float(getattr(config.account, "timeout", 60.0) or 60.0)
        self.folders = {job[0] for job in jobs}
        self.queue: multiprocessing.Queue = ctx.Queue()
        self.spool = tempfile.TemporaryFile(prefix="kizuna-scan-")  # unlinked, private
        self.pending: dict[str, dict[tuple[int, ...], tuple[int, int]]] = {}
        self.finished: set[str] = set()
        self.process = ctx.Process(
            target=_prefetch_main,
            args=(config, jobs, batch_size, self.queue, self.spool.fileno()),
            daemon=True,
        )
        self.process.start()

    def take(self, name: str, uids: Sequence[int]) -> list[tuple[int, MessageFacts]] | None:
        """The helper's facts for exactly this batch, or None: fetch it yourself."""
        if name not in self.folders:
            return None
        key = tuple(uids)
        batches = self.pending.setdefault(name, {})
        deadline = time.monotonic() + self.patience
        while key not in batches and name not in self.finished:
            try:
                folder, chunk, rows = self.queue.get(timeout=0.5)
            except queue.Empty:
                if not self.process.is_alive() and self.queue.empty() or time.monotonic() > deadline:
                    log.info("scan helper gone or stuck: fetching its folders here")
                    self.folders.clear()
                    return None
                continue
            except (OSError, EOFError, ValueError):
                self.folders.clear()
                return None
            deadline = time.monotonic() + self.patience
            if chunk == "error":
                log.info("scan helper stopped (%s): fetching its folders here", rows)
                self.folders.clear()
                return None
            if chunk is None:
                self.finished.add(folder)
            else:
                self.pending.setdefault(folder, {})[chunk] = rows
        where = batches.pop(key, None)
        if where is None:  # the folder changed between the helper's look and ours
            self.folders.discard(name)
            self.pending.pop(name, None)
            return None
        start, size = where
        data = os.pread(self.spool.fileno(), size, start)
        if len(data) != size:
            self.folders.clear()
            return None
        batch: list[_Row] = pickle.loads(data)  # noqa: S301 - our own helper wrote it
        return [(uid, _unpack(row)) for uid, row in batch]

    def close(self) -> None:
        try:
            self.queue.close()
            self.queue.cancel_join_thread()
        except Exception:  # noqa: BLE001, S110
            pass
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(5)
        self.spool.close()


def _prefetch_jobs(store: Store, work: Sequence[tuple[str, tuple[int, int, int, int | None]]]) -> list[_Job]:
    """Folders for a helper: about PREFETCH_SHARE of the new mail (whole folders)."""
    todo = []
    for name, (uidvalidity, uidnext, exists, _modseq) in work:
        cursor = store.cursor(name)
        if cursor is None or cursor.uidvalidity != uidvalidity:
            last_uid = 0
        elif cursor.uidnext == uidnext and cursor.exists_count == exists:
            continue
        else:
            last_uid = cursor.last_uid
        todo.append(((name, uidvalidity, last_uid), max(0, uidnext - last_uid - 1)))
    total = sum(count for _, count in todo)
    if total < PREFETCH_MIN_MESSAGES:
        return []
    chosen: set[str] = set()
    taken = 0
    for job, count in sorted(todo, key=lambda item: -item[1]):  # biggest first, up to the share
        if taken + count <= total * (PREFETCH_SHARE + 0.15):
            chosen.add(job[0])
            taken += count
    return [job for job, _ in todo if job[0] in chosen]  # in the scan's order


def _fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Scanner:
    """Syncs the mailbox into a :class:`Store`.

    ``on_batch`` is called after each committed batch with the folder name and
    the number of messages committed (tests use it to cut a scan off).
    """

    _prefetch: _Prefetch | None = None

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

    def run(self, folders: Sequence[str] | None = None) -> ScanResult:
        """Scan (every folder of the plan, or the ones named) and return the counts."""
        plan = self.plan()
        names = tuple(folders) if folders is not None else plan.scan
        result = ScanResult(folders=len(names), plan=plan)
        if folders is None:
            for stale in set(self.store.known_folders()) - set(names):
                log.info("folder %s is gone or no longer scanned: forgetting it", stale)
                self.store.drop_folder(stale)
        work = [(name, self._status(name)) for name in names]
        todo = sum(max(0, status[1] - (self._cursor_uidnext(name) or 1)) for name, status in work)
        bar = tqdm(
            total=todo or None,
            unit="msg",
            desc="scan",
            file=sys.stderr,
            disable=(not self.progress) if self.progress is not None else None,
            leave=False,
        )
        jobs = _prefetch_jobs(self.store, work) if self.parallel and _fork_available() else []
        self._prefetch = _Prefetch(self.config, jobs, self.batch_size) if jobs else None
        if jobs:  # this process does its own folders first, then stores the helper's
            helped = {job[0] for job in jobs}
            work = [w for w in work if w[0] not in helped] + [w for w in work if w[0] in helped]
        try:
            for name, status in work:
                result.new_ids.extend(self._sync(name, status, bar))
        finally:
            bar.close()
            if self._prefetch is not None:
                self._prefetch.close()
                self._prefetch = None
        result.new_messages = len(result.new_ids)
        result.messages = self.store.message_count()
        return result

    def _cursor_uidnext(self, name: str) -> int | None:
        cursor = self.store.cursor(name)
        return (cursor.last_uid + 1) if cursor else None

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
        cursor = self.store.cursor(name)
        if cursor is None or cursor.uidvalidity != uidvalidity:
            if cursor is not None:
                log.warning("UIDVALIDITY of %s changed: rescanning the folder", name)
            with self.store.transaction() as db:
                self.store.reset_folder(db, name, uidvalidity)
            cursor = self.store.cursor(name)
        assert cursor is not None
        if cursor.uidnext == uidnext and cursor.exists_count == exists:
            return []  # nothing new, nothing expunged
        try:
            self.client.select_folder(name, readonly=True)  # EXAMINE
            new_ids: list[int] = []
            if uidnext > cursor.last_uid + 1:
                uids = sorted(
                    u for u in self.client.search(["UID", f"{cursor.last_uid + 1}:*"])
                    if u > cursor.last_uid
                )
                for chunk in _chunks(uids, self.batch_size):
                    new_ids.extend(self._fetch_batch(name, uidvalidity, chunk))
                    bar.update(len(chunk))
            known = self.store.folder_count(name)
            if known != exists:
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
            try:
                self.client.unselect_folder()
            except Exception:  # noqa: BLE001 - a dead connection is reported above
                pass

    def _fetch_batch(self, name: str, uidvalidity: int, uids: Sequence[int]) -> list[int]:
        batch = self._prefetch.take(name, uids) if self._prefetch is not None else None
        if batch is None:
            batch = [
                (uid, parse_headers(header, partial(parse_internaldate, idate) if idate else None))
                for uid, idate, header in fetch_headers(
                    self.client, uid_ranges(uids), FETCH_FIELDS, folder=name
                )
            ]
        with self.store.transaction() as db:
            ids = self.store.add_messages(db, name, uidvalidity, batch)
            self.store.save_cursor(db, name, last_uid=max(uids))
        if self.on_batch:
            self.on_batch(name, len(batch))
        return ids
