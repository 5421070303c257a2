"""The scan's forked helper: a second process that fetches, parses and stages from the end.

A big first scan is CPU-bound on parsing. The helper (forked, so it shares the
loaded code) works backwards from the last batch of the last folder while the
scan works forwards; :class:`Claims` decides who does each batch, so no batch
is done twice and neither waits for the other until they meet. The helper
writes into a :class:`~worker.store.Staging` database of its own and tells the
scan what it staged through a queue of typed messages (:data:`HelperMessage`);
the scan copies staged batches into the state. If the helper fails, stalls or
vanishes, the scan fetches the rest itself: the helper only ever saves time.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import queue
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import imapclient

from worker.config import Config
from worker.mail.fetchreader import fetch_headers, uid_ranges
from worker.mail.imap import leave_folder
from worker.mail.rules import FETCH_FIELDS, parse_headers
from worker.model import MessageFacts
from worker.store import StagedBatch, Staging, Store

__all__ = [
    "Prefetch",
    "Claims",
    "Job",
    "chunks",
    "uids_after",
    "parse_batch",
    "unclaimed_batches",
    "fork_available",
    "HelperMessage",
]

log = logging.getLogger("worker.scan.scanner")


@dataclass(frozen=True, slots=True)
class Staged:
    """Batch ``uids`` of ``folder`` is staged."""

    folder: str
    uids: tuple[int, ...]
    batch: StagedBatch


@dataclass(frozen=True, slots=True)
class FolderStaged:
    """All ``batches`` batches of ``folder`` are staged: the scan need not even search it."""

    folder: str
    batches: int


@dataclass(frozen=True, slots=True)
class FolderEnd:
    """The helper will stage nothing more of ``folder``."""

    folder: str


@dataclass(frozen=True, slots=True)
class HelperFailed:
    """The helper stopped on an error (while at ``folder``)."""

    folder: str
    error: str


@dataclass(frozen=True, slots=True)
class HelperDone:
    """The helper's last word."""


HelperMessage = Staged | FolderStaged | FolderEnd | HelperFailed | HelperDone


def chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def uids_after(
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


def parse_batch(
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

#: folder, UIDVALIDITY, last UID already indexed, UIDNEXT and MESSAGES as STATUS said
Job = tuple[str, int, int, int, int]
_SPAN = 1 << 32  # batch keys: folder position * _SPAN + batch index


def _helper_main(
    config: Config,
    jobs: list[Job],
    batch_size: int,
    claims: Claims,
    out: multiprocessing.Queue,
    staging: str,
) -> None:
    """The helper process: claim, fetch, parse and stage batches from the end of the scan backwards."""
    name = ""
    try:
        from worker.mail.imap import connect
        from worker.vault import Vault

        gc.disable()  # see _collector_paused: this process only scans
        stage = Staging(Path(staging))
        client = connect(config.account, Vault(config.state_dir).get)
        try:
            for position in range(len(jobs) - 1, -1, -1):
                name, uidvalidity, last_uid, uidnext, exists = jobs[position]
                selected = client.select_folder(name, readonly=True)
                if int(selected.get(b"UIDVALIDITY", uidvalidity)) != uidvalidity:
                    out.put(FolderEnd(name))  # changed since the plan: the scan does it alone
                    continue
                batches = list(chunks(uids_after(client, last_uid, uidnext, exists), batch_size))
                for index in range(len(batches) - 1, -1, -1):
                    if not claims.helper_claims(position * _SPAN + index):
                        out.put(FolderEnd(name))
                        return  # met the scan
                    chunk = batches[index]
                    staged = stage.add(name, parse_batch(client, name, chunk))
                    out.put(Staged(name, tuple(chunk), staged))
                out.put(FolderStaged(name, len(batches)))  # every batch of it is staged
                out.put(FolderEnd(name))
                leave_folder(client)
        finally:
            out.put(HelperDone())  # no more from the helper
            stage.close()
            try:
                client.logout()
            except Exception:  # noqa: BLE001, S110 - the scan goes on without us
                pass
    except BaseException as exc:  # noqa: BLE001 - reported; the scan fetches the rest itself
        out.put(HelperFailed(name, f"{type(exc).__name__}: {exc}"))


def unclaimed_batches(front: int, back: int, batches: Sequence[int]) -> int:
    """How many batch keys lie between the scan's last claim and the helper's lowest.

    Keys are ``job * _SPAN + index``; ``batches`` says how many batches each
    job has. ``front`` is -1 before the scan claims any, ``back`` 1 << 62
    before the helper does (see :class:`Claims`).

    >>> unclaimed_batches(-1, 1 << 62, [5, 3, 4])  # nothing claimed yet
    12
    >>> unclaimed_batches(2, 2 * _SPAN + 1, [5, 3, 4])  # batches 3-4 of job 0, job 1, batch 0 of job 2
    6
    >>> unclaimed_batches(_SPAN + 1, _SPAN + 2, [5, 3, 4])  # they have met
    0
    >>> unclaimed_batches(1 << 62, 1 << 62, [5, 3, 4])  # the helper was stopped
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


class Claims:
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


class Prefetch:
    """A helper process working from the end of the scan; :meth:`take` its batches."""

    def __init__(
        self, config: Config, store: Store, todo: Sequence[tuple[Job, int]], batch_size: int
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
        self.claims = Claims(ctx)
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
            target=_helper_main,
            args=(config, jobs, batch_size, self.claims, self.queue, str(path)),
            daemon=True,
        )
        self.process.start()

    def _receive(self, item: HelperMessage) -> None:
        match item:
            case Staged(folder, uids, batch):
                self.pending.setdefault(folder, {})[uids] = batch
            case FolderStaged(folder, count):
                self.whole[folder] = count
            case FolderEnd(folder):
                self.finished.add(folder)
            case HelperFailed(_, error):
                self._give_up(f"stopped ({error})")
            case HelperDone():
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
        return unclaimed_batches(front, back, self.batches) * self.batch_size

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


def fork_available() -> bool:
    """Whether this platform can fork the helper (it shares the parent's loaded code)."""
    return "fork" in multiprocessing.get_all_start_methods()
