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
import multiprocessing
import queue
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import imapclient
from imapclient.exceptions import IMAPClientError
from tqdm import tqdm

from .config import Config
from .errors import FolderError, KizunaError, MailServerError
from .fetchreader import fetch_headers
from .folders import FolderPlan, plan_folders
from .model import MessageFacts
from .rules import FETCH_FIELDS, parse_headers
from .store import FolderCursor, StagedBatch, Staging, Store

__all__ = ["ScanResult", "Scanner", "uid_ranges"]

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


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _uids_after(
    client: imapclient.IMAPClient, last_uid: int, uidnext: int, exists: int
) -> list[int] | range:
    """The selected folder's UIDs above ``last_uid``, sorted.

    ``UID SEARCH UID n:*`` also answers the highest UID when none is above n.
    A folder whose STATUS had as many messages as UIDs below UIDNEXT holds
    exactly the UIDs 1 to UIDNEXT - 1: a first scan of it needs no search
    (tens of milliseconds for a big folder). A message expunged since is
    just not in the FETCH answer; one delivered since has a higher UID, for
    the next scan, as if it had come after the search.
    """
    if last_uid == 0 and exists == uidnext - 1 > 0:
        return range(1, uidnext)
    return sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)


def _parse_batch(
    client: imapclient.IMAPClient, folder: str, uids: Sequence[int]
) -> list[tuple[int, MessageFacts]]:
    """Fetch and parse the header fields of ``uids`` in the selected ``folder``."""
    return [
        (uid, parse_headers(header, idate))
        for uid, idate, header in fetch_headers(
            client, uid_ranges(uids), FETCH_FIELDS, folder=folder
        )
    ]


# -- parallel prefetch ----------------------------------------------------------------
#
# Parsing header blocks is the scan's cost (the server streams far faster), so
# a big scan forks one helper process with a connection of its own. The two
# work from both ends: this process takes the scan's batches in order (folder
# by folder, UID order within each), the helper takes them from the last one
# backwards, and they stop where they meet, so neither waits for the other
# however their speeds vary. Each batch is claimed under a shared lock before
# it is fetched. The helper writes finished rows into a staging database; this
# process alone writes the state (one writer), copying each staged batch in
# with ``INSERT ... SELECT`` as it arrives. A folder's cursor moves past a
# staged batch only when the scan reaches it in order, so a scan cut off at
# any point resumes correctly (rows already copied are skipped by UID).

#: Below this many new messages a helper costs more (fork, login) than it saves.
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

# folder, UIDVALIDITY, last UID already indexed, UIDNEXT and MESSAGES as STATUS said
_Job = tuple[str, int, int, int, int]
_SPAN = 1 << 32  # batch keys: folder position * _SPAN + batch index


def _prefetch_main(
    config: Config,
    jobs: list[_Job],
    batch_size: int,
    claims: _Claims,
    out: multiprocessing.Queue,
    staging: str,
) -> None:
    """The helper process: claim, fetch, parse and stage batches from the end of the scan backwards."""
    name = ""
    try:
        from .imap import connect  # noqa: PLC0415 - only the helper needs these
        from .vault import Vault  # noqa: PLC0415

        gc.disable()  # see _collector_paused: this process only scans
        stage = Staging(Path(staging))
        client = connect(config.account, Vault(config.state_dir).get)
        try:
            for position in range(len(jobs) - 1, -1, -1):
                name, uidvalidity, last_uid, uidnext, exists = jobs[position]
                selected = client.select_folder(name, readonly=True)
                if int(selected.get(b"UIDVALIDITY", uidvalidity)) != uidvalidity:
                    out.put((name, None, None))  # changed since the plan: the scan does it alone
                    continue
                chunks = list(_chunks(_uids_after(client, last_uid, uidnext, exists), batch_size))
                for index in range(len(chunks) - 1, -1, -1):
                    if not claims.helper_claims(position * _SPAN + index):
                        out.put((name, None, None))
                        return  # met the scan
                    chunk = chunks[index]
                    staged = stage.add(name, _parse_batch(client, name, chunk))
                    out.put((name, tuple(chunk), staged))
                out.put((name, "whole", len(chunks)))  # every batch of it is staged
                out.put((name, None, None))
                client.unselect_folder()
        finally:
            out.put(("", None, None))  # no more from the helper
            stage.close()
            try:
                client.logout()
            except Exception:  # noqa: BLE001, S110 - the scan goes on without us
                pass
    except BaseException as exc:  # noqa: BLE001 - reported; the scan fetches the rest itself
        out.put((name, "error", f"{type(exc).__name__}: {exc}"))


def _unclaimed_batches(front: int, back: int, batches: Sequence[int]) -> int:
    """How many batch keys lie between the scan's last claim and the helper's lowest.

    Keys are ``job * _SPAN + index``; ``batches`` says how many batches each
    job has. ``front`` is -1 before the scan claims any, ``back`` 1 << 62
    before the helper does (see :class:`_Claims`).

    >>> _unclaimed_batches(-1, 1 << 62, [5, 3, 4])  # nothing claimed yet
    12
    >>> _unclaimed_batches(2, 2 * _SPAN + 1, [5, 3, 4])  # batches 3-4 of job 0, job 1, batch 0 of job 2
    6
    >>> _unclaimed_batches(_SPAN + 1, _SPAN + 2, [5, 3, 4])  # they have met
    0
    >>> _unclaimed_batches(1 << 62, 1 << 62, [5, 3, 4])  # the helper was stopped
    0
    """
    last = len(batches) - 1
    if last < 0:
        return 0
    front_job, front_index = divmod(front, _SPAN) if front >= 0 else (0, -1)
    back_job, back_index = divmod(back, _SPAN) if back < 1 << 62 else (last, batches[last])
    count = 0
    for job in range(front_job, min(back_job, last) + 1):
        low = front_index + 1 if job == front_job else 0
        high = back_index if job == back_job else batches[job]
        count += max(0, high - low)
    return count


class _Claims:
    """Who does which batch: keys below ``back`` are the scan's, from ``back`` on the helper's."""

    def __init__(self, ctx: multiprocessing.context.BaseContext) -> None:
        self.lock = ctx.Lock()
        self.front = ctx.RawValue("q", -1)  # the last key the scan took
        self.back = ctx.RawValue("q", 1 << 62)  # the lowest key the helper took

    def helper_claims(self, key: int) -> bool:
        with self.lock:
            if key <= self.front.value:
                return False
            self.back.value = key
            return True

    def scan_claims(self, key: int) -> bool:
        with self.lock:
            if key >= self.back.value:
                return False
            self.front.value = max(self.front.value, key)  # a stopped helper stays stopped
            return True

    def stop_helper(self) -> None:
        with self.lock:
            self.front.value = 1 << 62


class _Prefetch:
    """A helper process working from the end of the scan; :meth:`take` its batches."""

    def __init__(
        self, config: Config, store: Store, todo: Sequence[tuple[_Job, int]], batch_size: int
    ) -> None:
        """``todo``: each folder's job, with about how many new messages it has (for :meth:`unclaimed`)."""
        ctx = multiprocessing.get_context("fork")
        jobs = [job for job, _ in todo]
        self.batch_size = batch_size
        self.batches = [-(-count // batch_size) for _, count in todo]  # about how many each job has
        # no batch for this long (twice the IMAP timeout): give up on the helper
        self.patience = 2 * config.account.timeout
        self.store = store
        self.position = {job[0]: position for position, job in enumerate(jobs)}
        self.claims = _Claims(ctx)
        self.queue: multiprocessing.Queue = ctx.Queue()
        self.tmp = tempfile.mkdtemp(prefix="kizuna-scan-")  # private (0700)
        path = Path(self.tmp) / "staging.db"
        Staging(path).close()  # create it before attaching, so both see the same tables
        store.attach_staging(path)
        self.pending: dict[str, dict[tuple[int, ...], StagedBatch]] = {}
        self.finished: set[str] = set()
        self.whole: dict[str, int] = {}  # folders the helper staged in full: how many batches
        self.ended = False
        self.released = False
        # Staged batches copied into the state before the scan reached them
        # (their rows in, their folder's cursor not yet past them: a scan cut
        # off now fetches them again and skips the UIDs it has), with their ids.
        self.merged: dict[StagedBatch, list[int]] = {}
        self.process = ctx.Process(
            target=_prefetch_main,
            args=(config, jobs, batch_size, self.claims, self.queue, str(path)),
            daemon=True,
        )
        self.process.start()

    def _receive(self, item: tuple[str, object, object]) -> None:
        folder, chunk, staged = item
        if chunk == "error":
            self._give_up(f"stopped ({staged})")
        elif chunk == "whole":
            self.whole[folder] = staged  # type: ignore[assignment]
        elif isinstance(chunk, tuple):
            self.pending.setdefault(folder, {})[chunk] = staged  # type: ignore[assignment]
        elif folder:
            self.finished.add(folder)
        else:
            self.ended = True  # all it staged is in ``pending`` now

    def arrived(self) -> list[StagedBatch]:
        """Batches staged since the last look and not copied in yet (never waits)."""
        while not self.ended:
            try:
                self._receive(self.queue.get_nowait())
            except queue.Empty:
                break
            except (OSError, EOFError, ValueError):
                self._give_up("unreachable")
        return [
            staged
            for batches in self.pending.values()
            for staged in batches.values()
            if staged not in self.merged
        ]

    def whole_folder(self, name: str) -> list[tuple[int, ...]] | None:
        """The UID batches of folder ``name`` if the helper staged all of it, else None.

        The scan then needs neither to select the folder nor to search it: the
        helper's search, made after the scan's STATUS, is as good as its own.
        """
        self.arrived()
        batches = self.pending.get(name, {})
        if self.whole.get(name) != len(batches):
            return None
        return sorted(batches, key=lambda chunk: chunk[0])

    def unclaimed(self) -> int | None:
        """About how many messages neither process has claimed yet; None once the helper is done."""
        if self.ended:
            return None
        with self.claims.lock:
            front, back = self.claims.front.value, self.claims.back.value
        return _unclaimed_batches(front, back, self.batches) * self.batch_size

    def _give_up(self, why: str) -> None:
        log.info("scan helper %s: fetching the rest here", why)
        self.claims.stop_helper()
        self.ended = True

    def take(self, name: str, index: int, uids: Sequence[int]) -> StagedBatch | None:
        """The helper's staged batch ``index`` of folder ``name``, or None: fetch it yourself."""
        position = self.position.get(name)
        if position is None or self.claims.scan_claims(position * _SPAN + index):
            return None
        # the helper claimed it: wait for it (what it staged stays good even if it stops later)
        key = tuple(uids)
        batches = self.pending.setdefault(name, {})
        deadline = time.monotonic() + self.patience
        while key not in batches and name not in self.finished and not self.ended:
            try:
                item = self.queue.get(timeout=0.5)
            except queue.Empty:
                if not self.process.is_alive() and self.queue.empty():
                    self._give_up("gone")
                elif time.monotonic() > deadline:
                    self._give_up("stuck")
                continue
            except (OSError, EOFError, ValueError):
                self._give_up("unreachable")
                continue
            deadline = time.monotonic() + self.patience
            self._receive(item)
        return batches.pop(key, None)  # None: the folder changed between the helper's look and ours

    def release(self) -> None:
        """Stop the helper and drop the staging database, without waiting for the helper to exit."""
        if self.released:
            return
        self.released = True
        self.claims.stop_helper()
        try:
            self.queue.close()
            self.queue.cancel_join_thread()
        except Exception:  # noqa: BLE001, S110
            pass
        self.store.detach_staging()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def close(self) -> None:
        """:meth:`release`, then see the helper gone."""
        self.release()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(5)


def _new_counts(
    store: Store, work: Sequence[tuple[str, tuple[int, int, int, int | None]]]
) -> list[tuple[_Job, int]]:
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


def _fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Scanner:
    """Syncs the mailbox into a :class:`Store`.

    ``on_batch`` is called after each committed batch with the folder name and
    the number of messages committed (tests use it to cut a scan off).
    """

    _prefetch: _Prefetch | None = None
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
        helped = bool(todo) and self.parallel and new >= PREFETCH_MIN_MESSAGES and _fork_available()
        try:
            with self.store.bulk_load(bulk), _collector_paused():
                if (
                    helped
                ):  # rows the helper stages may be copied in early: every folder ready first
                    for name, status in work:
                        self._cursor(name, status[0])
                    self._prefetch = _Prefetch(self.config, self.store, todo, self.batch_size)
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
                chunks: Iterable[Sequence[int]] = whole
            else:
                self.client.select_folder(name, readonly=True)  # EXAMINE
                selected = True
                news = uidnext > cursor.last_uid + 1
                uids = _uids_after(self.client, cursor.last_uid, uidnext, exists) if news else ()
                chunks = _chunks(uids, self.batch_size)
            for index, chunk in enumerate(chunks):
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
                    self.client.unselect_folder()
                except Exception:  # noqa: BLE001 - a dead connection is reported above
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
            batch = _parse_batch(self.client, name, uids)
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
            if prefetch is not None:  # copy what the helper staged meanwhile (see _Prefetch.merged)
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
