#!/usr/bin/env python3
"""Tone corpus: precision and recall of the tone warnings, measured through the CLI.

    .venv/bin/python scripts/tone_corpus.py [--cross] [--show-misses] [--json]

Starts a throwaway Dovecot with two dormant contacts (Alice Smith, who writes
English, and 山田 太郎, who writes Japanese), then sends every line of
``tests/fixtures/tone/{pushy,soft}_{en,ja}.txt`` through

    kizuna draft --to EMAIL --reason LINE --dry-run --json

as the issue's hidden check does (English lines to Alice's English draft,
Japanese lines to 山田さん's Japanese draft; ``--cross`` also puts each line in
the other language's draft). A line "warns" when its draft's ``warnings`` list
is not empty. Per language, and for the tuned and held-out parts of the corpus
(lines above and below ``## held-out``), it prints:

* recall: pushy lines that warn / pushy lines (the issue asks at least 90%);
* false alarms: soft lines that warn / soft lines (the issue allows one in eight);
* precision: pushy lines that warn / all lines that warn.

Needs ``kizuna draft --reason`` (issue 15) and Dovecot (``dovecot-imapd``).
Prints figures; never asserts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.dovecot import DevMail  # noqa: E402
from tests.support.factories import message, write_config  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "tone"
CONTACTS = {
    "en": ("alice@example.net", "Alice Smith", "Berlin conference", "Hi Alice,\r\n\r\nSee you!"),
    "ja": (
        "taro@example.jp",
        "山田 太郎",
        "打ち合わせの件",
        "山田さん\r\n\r\nお世話になっております。",
    ),
}


@dataclass
class Line:
    text: str
    pushy: bool
    language: str
    held_out: bool


@dataclass
class Tally:
    pushy: int = 0
    pushy_warned: int = 0
    soft: int = 0
    soft_warned: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    def add(self, line: Line, warned: list[str]) -> None:
        if line.pushy:
            self.pushy += 1
            self.pushy_warned += bool(warned)
            if not warned:
                self.misses.append(line.text)
        else:
            self.soft += 1
            self.soft_warned += bool(warned)
            if warned:
                self.false_alarms.append(f"{line.text}  ->  {warned[0]}")

    def figures(self) -> dict[str, object]:
        warned = self.pushy_warned + self.soft_warned
        return {
            "pushy": self.pushy,
            "soft": self.soft,
            "recall": self.pushy_warned / self.pushy if self.pushy else None,
            "false_alarm_rate": self.soft_warned / self.soft if self.soft else None,
            "precision": self.pushy_warned / warned if warned else None,
        }


def read_corpus() -> list[Line]:
    lines = []
    for path in sorted(CORPUS.glob("*.txt")):
        kind, _, language = path.stem.partition("_")
        held_out = False
        for raw in path.read_text(encoding="utf-8").splitlines():
            text = raw.strip()
            if text.startswith("## held-out"):
                held_out = True
                continue
            if not text or text.startswith("#"):
                continue
            lines.append(Line(text, kind == "pushy", language, held_out))
    return lines


def mailbox(server: DevMail) -> None:
    for i, (email_, name, subject, body) in enumerate(CONTACTS.values()):
        when = datetime(2016, 1, 4 + i, 10, tzinfo=UTC)
        server.write_maildir(
            "Sent",
            message("me@example.com", f"{name} <{email_}>", subject, when, body=body + "\r\n"),
        )
        server.write_maildir(
            "INBOX",
            message(
                f"{name} <{email_}>", "me@example.com", "Re: " + subject, when.replace(hour=18)
            ),
        )
    server.fix_ownership()


def warnings_for(cli_config: Path, email_: str, reason: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "worker", "--config", str(cli_config), "draft", "--to", email_,
         "--reason", reason, "--dry-run", "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"kizuna draft failed ({done.returncode}): {done.stderr.strip()}")
    drafts = json.loads(done.stdout)
    if not drafts:
        raise SystemExit(f"kizuna draft wrote nothing for {email_}: {done.stderr.strip()}")
    return [str(w) for w in drafts[0].get("warnings", [])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cross", action="store_true", help="also put each line in the other language's draft"
    )
    parser.add_argument("--show-misses", action="store_true", help="list misses and false alarms")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--pure",
        action="store_true",
        help="no server: the reason alone through worker.words.tone.check_tone (a quick look)",
    )
    args = parser.parse_args()

    corpus = read_corpus()
    tallies: dict[str, Tally] = {}
    if args.pure:
        from worker.words.tone import check_tone

        for line in corpus:
            warned = [str(w) for w in check_tone(line.text)]
            part = "held-out" if line.held_out else "tuned"
            for key in (
                f"{line.language} reason alone, {part}",
                f"{line.language} reason alone, all",
            ):
                tallies.setdefault(key, Tally()).add(line, warned)
    else:
        measure_through_cli(corpus, tallies, cross=args.cross)
    report(tallies, as_json=args.json, show_misses=args.show_misses)


def measure_through_cli(corpus: list[Line], tallies: dict[str, Tally], *, cross: bool) -> None:
    """Every line through ``kizuna draft --dry-run --json`` against a throwaway Dovecot."""
    with tempfile.TemporaryDirectory(prefix="kizuna-tone-") as tmp:
        server = DevMail()
        server.start()
        try:
            mailbox(server)
            cli = write_config(
                server, Path(tmp), api={"enabled": False}, account={"language": "en"}
            )
            scanned = cli.json("scan")
            assert isinstance(scanned, dict) and scanned["contacts"] == 2, scanned
            for line in corpus:
                drafts = [line.language] + (
                    [other for other in CONTACTS if other != line.language] if cross else []
                )
                for draft_language in drafts:
                    warned = warnings_for(cli.config, CONTACTS[draft_language][0], line.text)
                    part = "held-out" if line.held_out else "tuned"
                    where = f"{line.language} reason in a {draft_language} draft"
                    for key in (f"{where}, {part}", f"{where}, all"):
                        tallies.setdefault(key, Tally()).add(line, warned)
        finally:
            server.cleanup()


def report(tallies: dict[str, Tally], *, as_json: bool, show_misses: bool) -> None:
    """The figures as a table (or JSON), and optionally every miss and false alarm."""
    figures = {key: t.figures() for key, t in sorted(tallies.items())}
    if as_json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return

    def pct(value: object) -> str:
        return f"{value:6.1%}" if isinstance(value, float) else "     —"

    print(f"{'':48} {'pushy':>5} {'recall':>7} {'soft':>5} {'false':>7} {'precision':>9}")
    for key, f in figures.items():
        print(
            f"{key:48} {f['pushy']:>5} {pct(f['recall'])} {f['soft']:>5} {pct(f['false_alarm_rate'])}   {pct(f['precision'])}"
        )
    if show_misses:
        for key, t in sorted(tallies.items()):
            if key.endswith(", all") and (t.misses or t.false_alarms):
                print(f"\n{key}")
                for text in t.misses:
                    print(f"  missed: {text}")
                for text in t.false_alarms:
                    print(f"  false alarm: {text}")


if __name__ == "__main__":
    main()
