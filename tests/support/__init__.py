"""Test harnesses and factories, shared by the tests and by ``scripts/``.

- :mod:`tests.support.dovecot`: a throwaway Dovecot on a free loopback port.
- :mod:`tests.support.factories`: raw messages, sample mailboxes, configs, the CLI runner.
- :mod:`tests.support.daemon`: ``kizuna run`` as a subprocess, and waiting for it.
- :mod:`tests.support.smtp`: a recording aiosmtpd server.
- :mod:`tests.support.web`: the local API service for a Dovecot.

Nothing here imports a test module; tests and scripts import from here.
"""
