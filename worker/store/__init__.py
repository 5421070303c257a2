"""Store: the SQLite state, with one owner per table.

- :mod:`.db`: the connection, transactions, the ``meta`` table and migrations' runner;
- :mod:`.migrations`: the schema, one registered step per version;
- :mod:`.timecodec`: how times are stored (one codec for every table);
- :mod:`.messages`: ``messages``, ``recipients`` and ``folders`` (scan cursors, staging, bulk load);
- :mod:`.contacts`: the contact rule, the only place it is stated in SQL;
- :mod:`.reconnections`, :mod:`.reminders`: the follow-up tables, as typed rows;
- :mod:`.social`: people from LinkedIn and Facebook exports, and each source's last import.

Services above hold no SQL. May import :mod:`worker.model`, :mod:`worker.errors`,
:mod:`worker.fsutil` and the pure :mod:`worker.mail.rules`.
"""

from worker.store.messages import FolderCursor, StagedBatch, Staging
from worker.store.migrations import MIGRATIONS
from worker.store.store import Store
from worker.store.timecodec import decode_time, encode_time

__all__ = [
    "Store",
    "FolderCursor",
    "StagedBatch",
    "Staging",
    "MIGRATIONS",
    "encode_time",
    "decode_time",
]
