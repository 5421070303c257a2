"""Mail: everything that speaks IMAP or reads and writes RFC 5322 messages.

Owns the IMAP connection (:mod:`.imap`), server capabilities and folder
naming (:mod:`.folders`), the streaming FETCH reader (:mod:`.fetchreader`),
header rules and automation detection (:mod:`.rules`, :mod:`.automation`,
:mod:`.mimewords`: pure), building Kizuna's own messages (:mod:`.build`),
the Drafts-folder helpers (:mod:`.drafts`) and reading replies
(:mod:`.replyparse`).

May import :mod:`worker.config`, :mod:`worker.model`, :mod:`worker.errors`
and :mod:`worker.words`; nothing above.
"""
