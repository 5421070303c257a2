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
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import imapclient
from imapclient.exceptions import IMAPClientError
from tqdm import tqdm

from .config import Config
from .errors import FolderError, KizunaError, MailServerError
from .fetchreader import fetch_headers
from .folders import FolderPlan, plan_folders
from .rules import FETCH_FIELDS, parse_headers
from .store import Store

__all__ = ["ScanResult", "Scanner", "uid_ranges", "parse_internaldate"]

log = logging.getLogger(__name__)

_FETCH_ITEMS = "(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (" + " ".join(f.upper() for f in FETCH_FIELDS) + ")])"
_UID = re.compile(rb"UID (\d+)")
_IDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
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


class Scanner:
    """Syncs the mailbox into a :class:`Store`.

    ``on_batch`` is called after each committed batch with the folder name and
    the number of messages committed (tests use it to cut a scan off).
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        client: imapclient.IMAPClient,
        *,
        batch_size: int = 2000,
        progress: bool | None = None,
        on_batch: Callable[[str, int], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.batch_size = batch_size
        self.progress = progress
        self.on_batch = on_batch

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
        try:
            for name, status in work:
                result.new_ids.extend(self._sync(name, status, bar))
        finally:
            bar.close()
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
        batch = [
            (uid, parse_headers(header, parse_internaldate(idate) if idate else None))
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
