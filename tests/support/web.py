"""The local API service on loopback for a Dovecot, and queueing reminders as the daemon does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from worker.config import Config, load_config
from worker.core import Kizuna
from worker.store.reminders import Reminders
from worker.web import WebService

from .dovecot import DevMail
from .factories import REASON, Cli, sample_mailbox, write_config


def queue_reminder(config: Config, email_: str, kind: str, due: datetime, name: str = "") -> int:
    """Queue one reminder as worker.replies would, and return its id."""
    with Kizuna(config) as kizuna:
        with kizuna.store.transaction() as db:
            assert Reminders.queue(
                db,
                email=email_,
                kind=kind,
                due=due,
                reconnection=f"reconnect-test-{email_}",
                detail={"name": name, "draft_subject": "Re: hello"},
            )
        return max(r.id for r in kizuna.reminders() if r.email == email_ and r.kind == kind)


def queue_gift(kizuna: Kizuna) -> int:
    with kizuna.store.transaction() as db:
        Reminders.queue(
            db,
            email="alice@example.net",
            kind="gift",
            due=datetime.now(UTC) - timedelta(minutes=1),
            reconnection="reconnect-1",
            detail={"name": "Alice Smith", "language": "en", "tired": True},
        )
    return kizuna.reminders()[0].id


@dataclass
class Web:
    cli: Cli
    config: Config
    service: WebService
    token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    def client(self, *, auth: bool = True, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]

    def kizuna(self) -> Kizuna:
        return Kizuna(self.config)


def start_web(dovecot: DevMail, tmp_path: Path) -> tuple[Cli, Config, WebService]:
    sample_mailbox(dovecot)
    cli = write_config(
        dovecot,
        tmp_path,
        outreach={"reason": REASON},
        policy={"exclude": ["@bank.example"]},
        api={"port": 0},
    )
    assert cli.json("scan")["contacts"] == 3
    config = load_config(cli.config)
    service = WebService(config, lambda: Kizuna(config), port=0)
    service.start()
    return cli, config, service
