"""Daemon: ``kizuna run``, its IDLE watchers, schedule and single-instance lock.

Owns the long-running process (:mod:`.service`: threads, schedule, heartbeat)
and the IDLE watchers with their pure rules (:mod:`.watch`). Sits above
:mod:`worker.core`, which it drives.
"""
