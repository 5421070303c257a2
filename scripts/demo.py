"""The demo: a throwaway Dovecot with ten years of sample mail, and Kizuna run on it.

Shows the whole main job, with one command and no password of yours: scan,
the dormant ties, a standing reason for one contact, two reconnection drafts
printed in full (one English, one Japanese, each greeting the person as the
two of you wrote before), the drafts in the Drafts folder, and then the daemon:
a sample reply arrives, the thank-you prompt and the threaded thank-you draft
appear, and `kizuna reminders` lists thank-you, gift and keep-in-touch.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.dovecot import DevMail

ME = ("Sam Carter", "sam@example.com")
NOW = datetime.now(UTC)

# Real bodies: how each side greeted the other decides the draft's register.
# (name, email, years since last contact, exchanges, subject, my body, their body)
PEOPLE = [
    (
        "Alice Martin",
        "alice@oldstudio.example",
        9,
        14,
        "Portfolio review",
        "Hi Alice,\n\nThanks again for looking at my portfolio. I'll rework the case studies.\n\nBest,\nSam\n",
        "Hi Sam,\n\nHappy to help! Send me the new version whenever it's ready.\n\nAlice\n",
    ),
    (
        "株式会社ABC 山田 太郎",
        "taro.yamada@abc.example.jp",
        11,
        9,
        "勉強会の資料",
        "株式会社ABC\n山田様\n\nお世話になっております。Sam Carterです。\n先日の勉強会の資料をお送りいたします。\n\nよろしくお願いいたします。\nSam Carter\n",
        "Sam Carter様\n\nお世話になっております。山田です。\n資料をありがとうございました。拝見いたします。\n\n--\n株式会社ABC 開発部\n山田 太郎\n",
    ),
    (
        "Priya Shah",
        "priya@designlab.example",
        6,
        22,
        "UX workshop in Lisbon",
        "Dear Ms. Shah,\n\nThank you for the invitation to the workshop.\n\nBest regards,\nSam Carter\n",
        "Dear Sam,\n\nWe look forward to seeing you in Lisbon.\n\nKind regards,\nPriya Shah\nDesignLab Ltd.\n",
    ),
    (
        "佐藤 花子",
        "hanako@example.co.jp",
        4,
        5,
        "プロジェクトの打ち上げ",
        "花子さん\n\n打ち上げ、楽しかったです！写真を送りますね。\n\nSam\n",
        "Samさん\n\nありがとうございます！またみんなで集まりましょう。\n\n花子\n",
    ),
    (
        "Tom Becker",
        "tom@agency.example",
        12,
        3,
        "Freelance contract",
        "Hello Tom,\n\nHere is the signed contract.\n\nSam\n",
        "Hello Sam,\n\nGot it, thanks.\n\nTom\n",
    ),
    (
        "Lena Vogel",
        "lena@example.de",
        1,
        30,
        "Team offsite",
        "Hi Lena,\n\nSee you at the offsite!\n\nSam\n",
        "Hi Sam,\n\nLooking forward to it.\n\nLena\n",
    ),  # recent: not dormant
    (
        "Chris Doe",
        "chris@bank.example",
        8,
        4,
        "Mortgage",
        "Hello,\n\nPlease find the documents attached.\n\nSam\n",
        "Dear Mr. Carter,\n\nThank you.\n\nChris Doe\n",
    ),  # excluded by policy
]
REASON = {
    "en": "I am moving into product design and would love your view on it.",
    "ja": "この春から、プロダクトデザインの仕事に移ろうとしております。"
    "｜もしよろしければ、一度ご意見を伺えませんでしょうか。",
}
# A standing reason for one person: the situation, then what I'd like from *her*.
ALICE_REASON = (
    "I'm leaving agency work to focus on product design, and I'm rebuilding my portfolio "
    "around it. | Would you be willing to look at two of the new case studies and tell me "
    "honestly what's missing?"
)


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
    for name, addr, years, exchanges, subject, mine, theirs in PEOPLE:
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
                        mine,
                    ),
                    mtime=when.timestamp(),
                )
            server.write_maildir(
                "INBOX",
                mail((name, addr), ME, f"Re: {subject}", when, theirs),
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


def kizuna(config: Path, *args: str, quiet: bool = False) -> str:
    print(f"\n$ kizuna {shlex.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--config", str(config), *args],
        capture_output=True,
        text=True,
    )
    if not quiet:
        print(done.stdout, end="")
    print(done.stderr, end="", file=sys.stderr)
    if done.returncode != 0:
        raise SystemExit(done.returncode)
    return done.stdout


def show_folder(server: DevMail, folder: str, header: str = "") -> None:
    with server.client() as client:
        client.select_folder(folder, readonly=True)
        fetched = client.fetch(client.search(["ALL"]), ["FLAGS", "BODY.PEEK[]"])
    for _, data in sorted(fetched.items()):
        msg = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
        if header and not msg[header]:
            continue
        flags = " ".join(f.decode() for f in data[b"FLAGS"])
        print(f"\n[{folder} {flags}] To: {msg['To']}\nSubject: {msg['Subject']}")
        if header:
            print(msg.get_content())


def send_and_reply(server: DevMail, to: str) -> None:
    """What you and your contact do: you send the draft; days later, they answer."""
    with server.client() as client:
        client.select_folder("Drafts")
        for uid, data in client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"]).items():
            draft = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
            if draft["To"].addresses[0].addr_spec != to:
                continue
            client.append("Sent", data[b"BODY[]"], flags=(b"\\Seen",))
            client.delete_messages([uid])
            client.expunge()
            reply = EmailMessage(policy=email.policy.SMTP)
            reply["From"] = draft["To"]
            reply["To"] = draft["From"]
            reply["Subject"] = "Re: " + draft["Subject"]
            reply["Date"] = format_datetime(datetime.now(UTC))
            reply["Message-ID"] = make_msgid(domain=to.split("@")[1])
            reply["In-Reply-To"] = draft["Message-ID"]
            reply["References"] = draft["Message-ID"]
            reply.set_content(
                "Hi Sam,\n\nWhat a lovely surprise! Of course, send me the case studies and "
                "I'll have a look this week.\n\nAlice\n"
            )
            client.append("INBOX", bytes(reply))
            return


def run_daemon_until(config: Path, done: callable[[], bool], log: Path) -> None:  # type: ignore[valid-type]
    print("\n$ kizuna run   (the daemon, stopped once the reply is handled)", flush=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "worker", "--config", str(config), "run"],
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not done():
            if proc.poll() is not None:
                raise SystemExit(f"the daemon stopped: see {log}")
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(30)


def reminders(config: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--config", str(config), "reminders", "--json"],
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout) if done.returncode == 0 else []


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
                account={"display_name": ME[0], "language": "en"},
                policy={"exclude": ["@bank.example"]},
                outreach={"max_drafts_per_run": 5},
                daemon={"scan_interval_minutes": 0.05, "poll_seconds": 1},
                api={"enabled": False},
            )
            # [outreach] reason as a table by language: each draft takes its own.
            + '\n[outreach.reason]\nen = "'
            + REASON["en"]
            + '"\nja = "'
            + REASON["ja"]
            + '"\n'
        )
        print(f"Demo mailbox on 127.0.0.1:{server.port} (user {server.user}); config {config}")
        kizuna(config, "scan")
        kizuna(config, "contacts", "--dormant")
        kizuna(config, "contact", "alice@oldstudio.example", "--reason", ALICE_REASON)
        print("\n--- Two drafts in full: what Kizuna would write (nothing saved yet) ---")
        kizuna(
            config,
            "draft",
            "--dry-run",
            "--to",
            "alice@oldstudio.example",
            "--to",
            "taro.yamada@abc.example.jp",
        )
        kizuna(config, "draft")
        kizuna(config, "draft")  # a second run: never a second draft
        kizuna(config, "contacts")
        print("\n--- The Drafts folder on the server, as your mail client sees it ---")
        show_folder(server, "Drafts")
        print("\n--- You send the draft to Alice; a week later she answers ---")
        send_and_reply(server, "alice@oldstudio.example")
        kinds = {"thank-you", "gift", "keep-in-touch"}
        run_daemon_until(
            config,
            lambda: kinds <= {str(r["kind"]) for r in reminders(config)},
            workdir / "daemon.log",
        )
        print("\n--- Kizuna's prompt in your INBOX ---")
        show_folder(server, "INBOX", header="X-Kizuna-Kind")
        print("\n--- The thank-you draft, threaded under Alice's reply ---")
        show_folder(server, "Drafts", header="In-Reply-To")
        kizuna(config, "reminders")
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
