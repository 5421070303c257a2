"""The demo: a throwaway Dovecot with ten years of sample mail, and Kizuna run on it.

Shows the whole main job: scan, the dormant ties, reconnection drafts in the
Drafts folder (read back from the server, as your mail client would see them).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.dovecot import DevMail

ME = ("Sam Carter", "sam@example.com")
NOW = datetime.now(UTC)

# (name, email, years since last contact, exchanges, subject)
PEOPLE = [
    ("Alice Martin", "alice@oldstudio.example", 9, 14, "Portfolio review"),
    ("山田 太郎", "taro.yamada@example.jp", 11, 9, "勉強会の資料"),
    ("Priya Shah", "priya@designlab.example", 6, 22, "UX workshop in Lisbon"),
    ("佐藤 花子", "hanako@example.co.jp", 4, 5, "プロジェクトの打ち上げ"),
    ("Tom Becker", "tom@agency.example", 12, 3, "Freelance contract"),
    ("Lena Vogel", "lena@example.de", 1, 30, "Team offsite"),  # recent: not dormant
    ("Chris Doe", "chris@bank.example", 8, 4, "Mortgage"),  # excluded by policy
]


def mail(
    frm: tuple[str, str],
    to: tuple[str, str],
    subject: str,
    when: datetime,
    body: str,
    **headers: str,
) -> bytes:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = Address(frm[0], addr_spec=frm[1])
    msg["To"] = Address(to[0], addr_spec=to[1])
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=frm[1].split("@")[1])
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def fill(server: DevMail) -> None:
    for name, addr, years, exchanges, subject in PEOPLE:
        last = NOW - timedelta(days=365 * years + 17)
        for i in range(exchanges):
            when = last - timedelta(days=40 * (exchanges - 1 - i))
            subj = subject if i == 0 else f"Re: {subject}"
            if i % 2 == 0:
                server.write_maildir(
                    "Sent",
                    mail(
                        ME,
                        (name, addr),
                        subj,
                        when - timedelta(hours=3),
                        "Hi,\n\nWhat do you think?\n\nSam\n",
                    ),
                    mtime=when.timestamp(),
                )
            server.write_maildir(
                "INBOX",
                mail((name, addr), ME, f"Re: {subject}", when, "Sounds good, talk soon!\n"),
                mtime=when.timestamp(),
            )
    for i in range(30):  # newsletters and robots: never contacts
        when = NOW - timedelta(days=30 * i)
        server.write_maildir(
            "INBOX",
            mail(
                ("Design Weekly", "news@designweekly.example"),
                ME,
                f"Design Weekly #{300 - i}",
                when,
                "News.\n",
                List_Id="<weekly.designweekly.example>",
            ),
        )
        server.write_maildir(
            "INBOX",
            mail(
                ("Mail Delivery System", "MAILER-DAEMON@example.com"),
                ME,
                "Undelivered Mail Returned to Sender",
                when,
                "Bounce.\n",
            ),
        )
    server.fix_ownership()


def kizuna(config: Path, *args: str) -> None:
    print(f"\n$ kizuna {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "worker", "--config", str(config), *args])
    if done.returncode != 0:
        raise SystemExit(done.returncode)


def show_drafts(server: DevMail) -> None:
    print("\n--- The Drafts folder on the server, as your mail client sees it ---", flush=True)
    with server.client() as client:
        client.select_folder("Drafts", readonly=True)
        fetched = client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[]"])
        for n, (_, data) in enumerate(sorted(fetched.items())):
            msg = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
            flags = " ".join(f.decode() for f in data[b"FLAGS"])
            print(f"\n[{flags}] To: {msg['To']}\nSubject: {msg['Subject']}")
            if n < 2:
                print(msg.get_content())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="leave the demo server running")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kizuna-demo-"))
    server = DevMail()
    server.start()
    try:
        fill(server)
        config = workdir / "config.toml"
        config.write_text(
            server.kizuna_config(
                workdir / "state.db",
                [ME[1]],
                account={"display_name": ME[0]},
                policy={"exclude": ["@bank.example"]},
                outreach={
                    "reason": "I am moving into product design and would love your view on it.",
                    "max_drafts_per_run": 5,
                },
                api={"enabled": False},
            )
        )
        print(f"Demo mailbox on 127.0.0.1:{server.port} (user {server.user}); config {config}")
        kizuna(config, "scan")
        kizuna(config, "contacts", "--dormant")
        kizuna(config, "draft")
        kizuna(config, "draft")  # a second run: never a second draft
        kizuna(config, "contacts")
        show_drafts(server)
        if args.keep:
            print(
                f"\nThe server keeps running. Try: .venv/bin/kizuna --config {config} contacts\n"
                "Press Ctrl-C to stop it."
            )
            try:
                server.process.wait()  # type: ignore[union-attr]
            except KeyboardInterrupt:
                pass
    finally:
        server.cleanup()


if __name__ == "__main__":
    main()
