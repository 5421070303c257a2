"""Follow-up: after a draft is sent, replies, thank-yous, gifts and reminders.

Owns noticing replies (:mod:`.replies`, :mod:`.matching`), the thank-you draft
that answers a reply (:mod:`.thanks`), the reminder mail (:mod:`.prompts`; the
gift follows the favour, :mod:`worker.words.gifts`) and its delivery over IMAP
or SMTP (:mod:`.delivery`).

Receives what it uses (config, store, an IMAP opener, the vault); may import
:mod:`worker.outreach`, :mod:`worker.store`, :mod:`worker.mail`,
:mod:`worker.words` and the bottom layer.
"""
