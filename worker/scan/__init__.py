"""Scan: sync the mailbox's headers into the state, incrementally.

Owns the scanner (:mod:`.scanner`) and its forked parsing helper
(:mod:`.helper`), which talk to each other through a typed queue.

May import :mod:`worker.store`, :mod:`worker.mail` and the bottom layer.
"""
