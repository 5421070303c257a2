"""Outreach: choosing whom to write to, composing the draft, and saving it into Drafts.

Owns the contact rule above the SQL (dormancy, ranking, status: :mod:`.contacts`),
the draft's language and wording (:mod:`.language`, :mod:`.compose`, :mod:`.tone`)
and the reconnection drafts' life in Drafts (:mod:`.drafting`).

Receives what it uses (config, store, an IMAP opener); may import
:mod:`worker.store`, :mod:`worker.mail`, :mod:`worker.words` and the bottom layer.
"""
