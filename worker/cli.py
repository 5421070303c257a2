"""The ``kizuna`` command line: a thin layer over :class:`worker.core.Kizuna`.

Each command's docstring is its ``--help``. ``--json`` prints one JSON document
on stdout and nothing else there; progress and logs go to stderr. Exit codes:
0 success, 2 bad usage or config, 1 any other failure, always with a one-line
reason on stderr.

This module is long because each command is a small function whose docstring
is its ``--help``; the work is in :mod:`worker.core`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

from worker import __version__
from worker.config import Config, load_config
from worker.errors import ConfigError, KizunaError
from worker.model import Contact

if TYPE_CHECKING:
    from worker.core import Kizuna

__all__ = ["main", "cli"]


class Context:
    """Lazily loads the config, so ``--help`` works without one."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._kizuna: Kizuna | None = None

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    def kizuna(self) -> Kizuna:
        from worker.core import Kizuna  # the library core loads only when a command needs it

        if self._kizuna is None:
            self._kizuna = Kizuna(self.config)
        return self._kizuna

    def close(self) -> None:
        if self._kizuna is not None:
            self._kizuna.close()


pass_context = click.make_pass_decorator(Context)


def emit_json(document: Any) -> None:
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "-"
    days = (now - value).days
    if days >= 365:
        return f"{days / 365.25:.1f}y"
    return f"{days}d"


def _width(text: str) -> int:
    """Terminal cells: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [_width(h) for h in headers]
    for row in rows:
        widths = [max(w, _width(str(c))) for w, c in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c) + " " * (w - _width(str(c))) for w, c in zip(widths, cells, strict=True)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="Config file (default: $KIZUNA_CONFIG, else <user config dir>/kizuna/config.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.version_option(__version__, prog_name="kizuna")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Kizuna (絆): find the people you lost touch with in your mailbox, and reconnect.

    \b
    Typical use:
      kizuna scan                 index who you wrote with, and when
      kizuna contacts --dormant   the ties that went quiet
      kizuna draft                reconnection drafts into your Drafts folder
      kizuna contact EMAIL        one contact: your reason, your shared history
      kizuna run                  the daemon: replies, thank-yous, reminders
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        stream=sys.stderr,
        level=level,
        format="%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s",
    )
    ctx.obj = Context(config_path)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@pass_context
def scan(ctx: Context, as_json: bool, no_progress: bool) -> None:
    """Sync the mailbox (read-only) and update the contact index.

    Every folder except Drafts, Junk and Trash is scanned (Gmail: All Mail
    alone). Incremental after the first run; an interrupted scan resumes.

    Example: kizuna scan --json
    """
    result = ctx.kizuna().scan(progress=False if no_progress else None, parallel=True)
    if as_json:
        emit_json(result.to_json())
    else:
        r = result
        click.echo(
            f"Scanned {r.folders} folders: {r.messages} messages indexed "
            f"({r.new_messages} new), {r.contacts} contacts."
        )


@cli.command()
@click.option("--dormant", is_flag=True, help="Only dormant contacts.")
@click.option("--json", "as_json", is_flag=True, help="Print the contacts as JSON.")
@pass_context
def contacts(ctx: Context, dormant: bool, as_json: bool) -> None:
    """The contact index, most dormant first.

    A contact is an address you exchanged personal mail with both ways.
    Dormant: no such mail for policy.dormant_after_days, and not excluded.

    Example: kizuna contacts --dormant
    """
    found = ctx.kizuna().contacts(dormant=dormant)
    if as_json:
        emit_json([c.to_json() for c in found])
        return
    if not found:
        click.echo("No dormant contacts." if dormant else "No contacts yet: run `kizuna scan`.")
        return
    now = datetime.now(UTC)
    click.echo(
        _table(
            [_contact_row(c, now) for c in found],
            ("email", "name", "last contact", "ago", "sent", "recv", "status"),
        )
    )


def _contact_row(c: Contact, now: datetime) -> list[str]:
    status = c.status or ("dormant" if c.dormant else ("excluded" if c.excluded else ""))
    return [
        c.email,
        c.name[:30],
        c.last_contact.date().isoformat() if c.last_contact else "-",
        _age(c.last_contact, now),
        str(c.sent_count),
        str(c.received_count),
        status,
    ]


@cli.command()
@click.option(
    "--to", "emails", multiple=True, metavar="EMAIL", help="Draft for this contact (repeatable)."
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    help="At most N drafts (never more than outreach.max_drafts_per_run).",
)
@click.option(
    "--reason",
    metavar="TEXT",
    help="Why you write, for these drafts only (needs --to; 'situation | ask' for two parts).",
)
@click.option("--dry-run", is_flag=True, help="Show the drafts and their warnings; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the drafts as JSON.")
@pass_context
def draft(
    ctx: Context,
    emails: tuple[str, ...],
    limit: int | None,
    reason: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Write reconnection drafts into your Drafts folder.

    Without --to: the top dormant contacts, real past ties first. A contact
    with a draft already pending never gets a second one. Each draft reads
    your last few messages with the contact (read-only) to greet them as you
    did and recall what you shared. Review the drafts in your mail client,
    edit, send.

    \b
    Examples:
      kizuna draft --to old.friend@example.com --dry-run
      kizuna draft --to a@example.com --to b@example.com --reason "I moved to Lisbon. | Coffee?"
    """
    from worker.outreach.wording import draft_warning

    if reason is not None and not emails:
        raise click.UsageError("--reason needs --to: it is the reason for these drafts only")
    kizuna = ctx.kizuna()
    outcomes, skipped = kizuna.draft(emails, limit=limit, dry_run=dry_run, reason=reason)
    lang = kizuna.config.user_language
    for skip in skipped:
        click.echo(_skipped_line(skip.email, skip.reason, lang), err=True)
    for outcome in outcomes:
        for warning in outcome.warnings:
            click.echo(draft_warning(outcome.email, warning, lang), err=True)
    if as_json:
        emit_json([o.to_json(body=dry_run) for o in outcomes])
        return
    if dry_run:
        for outcome in outcomes:
            click.echo(f"To: {outcome.email}\nSubject: {outcome.subject}\n\n{outcome.body}")
            for warning in outcome.warnings:
                click.echo(f"[!] {warning}")
            click.echo("-" * 60)
        click.echo(f"{len(outcomes)} draft(s) shown; nothing was written (--dry-run).")
        return
    for outcome in outcomes:
        click.echo(f"Drafted for {outcome.email} ({outcome.language}): {outcome.subject}")
    click.echo(f"{len(outcomes)} draft(s) saved to Drafts." if outcomes else "No new drafts.")


@cli.command("import")
@click.argument("source", metavar="SOURCE", type=click.Choice(["linkedin", "facebook"]))
@click.argument("path", required=False, type=click.Path(dir_okay=True))
@click.option("--forget", is_flag=True, help="Delete everything imported from SOURCE.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_context
def import_(ctx: Context, source: str, path: str | None, forget: bool, as_json: bool) -> None:
    """Match your LinkedIn connections or Facebook friends to your contacts.

    \b
    SOURCE is linkedin or facebook; PATH is the export as the service gives it:
      linkedin  Connections.csv, or LinkedIn's export zip (or its folder)
      facebook  your_friends.json / friends.json, or Facebook's JSON export zip

    Each person is matched to a contact by e-mail, else by the names seen in
    your mail. Matched contacts gain LinkedIn's company and position (shown
    by `kizuna contacts`, used by drafts); the others are listed apart on
    the dashboard page. Importing again updates and never duplicates; a
    later scan links people whose address turns up. --forget deletes what
    was imported from SOURCE.

    \b
    Examples:
      kizuna import linkedin ~/Downloads/Connections.csv --json
      kizuna import facebook ~/Downloads/facebook-me.zip
      kizuna import --forget linkedin
    """
    from worker.errors import UsageError

    label = {"linkedin": "LinkedIn connections", "facebook": "Facebook friends"}[source]
    if forget:
        if path is not None:
            raise UsageError("--forget takes no PATH: kizuna import --forget " + source)
        gone = ctx.kizuna().forget_social(source)
        if as_json:
            emit_json({"source": source, "forgotten": gone})
        else:
            click.echo(f"Forgot {gone} {label}." if gone else f"Nothing imported from {source}.")
        return
    if path is None:
        raise UsageError(f"missing PATH: kizuna import {source} PATH (see kizuna import --help)")
    progress = _ImportProgress(label)
    try:
        counts = ctx.kizuna().import_social(source, path, progress)
    finally:
        progress.finish()
    if as_json:
        emit_json(counts)
        return
    click.echo(
        f"Imported {counts['people']} {label}: {counts['matched']} matched to contacts, "
        f"{counts['unmatched']} not (listed on the dashboard page)."
    )


class _ImportProgress:
    """Progress on stderr while a big export is read: one redrawn line on a terminal, else lines."""

    #: Below this many people there is nothing to wait for, so nothing to show.
    SHOW_FROM = 500

    def __init__(self, label: str) -> None:
        self.label = label
        self.terminal = sys.stderr.isatty()
        self.drawn = False

    def __call__(self, count: int) -> None:
        if count < self.SHOW_FROM:
            return
        if self.terminal:
            click.echo(f"\rkizuna: read {count} {self.label}…", err=True, nl=False)
            self.drawn = True
        else:
            click.echo(f"kizuna: read {count} {self.label}", err=True)

    def finish(self) -> None:
        if self.drawn:
            click.echo("", err=True)


def _skipped_line(email: str, why: str, language: str) -> str:
    if language == "ja":
        return f"kizuna: {email} は作成しませんでした：{why}"
    return f"kizuna: skipped {email}: {why}"


@cli.command()
@click.argument("email")
@click.option(
    "--reason",
    metavar="TEXT",
    help="Keep TEXT as your reason for writing to them ('' clears; 'situation | ask').",
)
@click.option("--never", "never", flag_value=True, default=None, help="Never propose them.")
@click.option("--again", "never", flag_value=False, help="Propose them again (undoes --never).")
@click.option("--json", "as_json", is_flag=True, help="Print the contact as JSON.")
@pass_context
def contact(
    ctx: Context, email: str, reason: str | None, never: bool | None, as_json: bool
) -> None:
    """One contact and what Kizuna knows of your shared history.

    Reads your last few messages with them (read-only) when new mail came
    since the last look. --reason keeps a standing reason used by every later
    draft to them (CLI, page, add-on); write it in the draft's language, and
    give it two parts, your situation and what you'd like from them, as
    "situation | ask". --never stops proposing them, as policy.exclude does.

    \b
    Examples:
      kizuna contact old.friend@example.com --json
      kizuna contact taro@example.jp --reason "転職を考えています。｜ご意見を伺えませんか。"
      kizuna contact boss@example.com --never
    """
    doc = ctx.kizuna().contact(email, reason=reason, never=never)
    if doc is None:
        raise KizunaError(f"{email.strip().lower()} is not a contact (no personal mail both ways)")
    if as_json:
        emit_json(doc)
        return
    history = doc.get("history")
    facts = history if isinstance(history, dict) else {}
    register = facts.get("register") if isinstance(facts.get("register"), dict) else {}
    thread = facts.get("thread") if isinstance(facts.get("thread"), dict) else {}
    rows = [
        ("email", doc["email"]),
        ("name", doc["name"] or "-"),
        ("last contact", doc["last_contact"] or "-"),
        ("sent / received", f"{doc['sent_count']} / {doc['received_count']}"),
        ("status", doc["status"] or ("never" if doc["never"] else "-")),
        ("reason", doc["reason"] or "-"),
        ("language", facts.get("language") or "-"),
        ("register", (register or {}).get("formality") or "-"),
        ("organization", facts.get("organization") or doc.get("organization") or "-"),
        ("main thread", (thread or {}).get("subject") or "-"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        click.echo(f"{key.ljust(width)}  {value}")


@cli.group()
def secret() -> None:
    """Store passwords encrypted in the state directory."""


@secret.command("set")
@click.option("--smtp", is_flag=True, help="Store the SMTP password instead of the IMAP one.")
@pass_context
def secret_set(ctx: Context, smtp: bool) -> None:
    """Read a password from standard input and store it encrypted.

    On a terminal it prompts without echo. The config may then leave
    `password` out. Example: pass show mail/me | kizuna secret set
    """
    from worker.vault import Vault, read_secret_from

    config = ctx.config
    name = "smtp" if smtp else "imap"
    value = read_secret_from(sys.stdin, prompt=sys.stdin.isatty())
    vault = Vault(config.state_dir)
    vault.set(name, value)
    click.echo(f"Stored the {name.upper()} password ({vault.describe()}).", err=True)


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the reminders as JSON.")
@click.pass_context
def reminders(click_ctx: click.Context, as_json: bool) -> None:
    """Queued and done reminders: thank-you, gift and keep-in-touch.

    Without a subcommand: list them, soonest due first. A reminder is
    delivered as a prompt mail by `kizuna run` once due.

    \b
    Examples:
      kizuna reminders --json
      kizuna reminders done 3
      kizuna reminders snooze 4 7
      kizuna reminders favour 5 call
    """
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.find_object(Context)
    assert ctx is not None
    found = ctx.kizuna().reminders()
    if as_json:
        emit_json([r.to_json() for r in found])
        return
    if not found:
        click.echo("No reminders yet: they come when a contact replies (see `kizuna run`).")
        return
    rows = [
        [
            str(r.id),
            r.kind,
            r.email,
            r.name[:24],
            r.due.strftime("%Y-%m-%d %H:%M"),
            r.status,
            (r.last_error or "")[:40],
        ]
        for r in found
    ]
    click.echo(_table(rows, ("id", "kind", "email", "name", "due (UTC)", "status", "last error")))


@reminders.command("done")
@click.argument("reminder_id", metavar="ID", type=int)
@pass_context
def reminders_done(ctx: Context, reminder_id: int) -> None:
    """Mark reminder ID done (you acted on it). Example: kizuna reminders done 3"""
    r = ctx.kizuna().set_reminder_status(reminder_id, "done")
    click.echo(f"Reminder {r.id} ({r.kind}, {r.email}) is done.")


@reminders.command("dismiss")
@click.argument("reminder_id", metavar="ID", type=int)
@pass_context
def reminders_dismiss(ctx: Context, reminder_id: int) -> None:
    """Dismiss reminder ID (a pending keep-in-touch ends its chain). Example: kizuna reminders dismiss 3"""
    r = ctx.kizuna().set_reminder_status(reminder_id, "dismissed")
    click.echo(f"Reminder {r.id} ({r.kind}, {r.email}) is dismissed.")


@reminders.command("snooze")
@click.argument("reminder_id", metavar="ID", type=int)
@click.argument("days", type=click.FloatRange(min=0))
@pass_context
def reminders_snooze(ctx: Context, reminder_id: int, days: float) -> None:
    """Make reminder ID due again in DAYS days (0: now), pending again.

    Example: kizuna reminders snooze 4 7
    """
    r = ctx.kizuna().snooze_reminder(reminder_id, days)
    click.echo(f"Reminder {r.id} ({r.kind}, {r.email}) is due again {r.due.isoformat()}.")


@reminders.command("favour")
@click.argument("reminder_id", metavar="ID", type=int)
@click.argument(
    "kind", type=click.Choice(["reply", "call", "advice", "introduction", "work"]), metavar="KIND"
)
@click.option("--json", "as_json", is_flag=True, help="Print the reminder and its gift as JSON.")
@pass_context
def reminders_favour(ctx: Context, reminder_id: int, kind: str, as_json: bool) -> None:
    """Say what the contact did for gift reminder ID; print the gift that fits.

    KIND is reply, call, advice, introduction (or a referral) or work. A reply
    earns a note, a call or advice something small, an introduction or real
    work a real gift (something restful first if they sounded tired).

    Example: kizuna reminders favour 4 introduction
    """
    from worker.store.reminders import Reminders
    from worker.web.gifts import gift_json

    kizuna = ctx.kizuna()
    days = kizuna.config.reminders.keep_in_touch_days
    r = Reminders(kizuna.store, keep_in_touch_days=days).set_favour(reminder_id, kind)
    gift = gift_json(r, kizuna.config.user_language) or {}
    if as_json:
        emit_json({**r.to_json(), "gift": gift})
        return
    click.echo(f"Reminder {r.id} ({r.kind}, {r.email}): {gift.get('label')}.")
    click.echo(str(gift.get("note", "")))
    ideas = gift.get("ideas")
    for idea in ideas if isinstance(ideas, list) else []:
        click.echo(f"- {idea}")


@cli.command()
@pass_context
def run(ctx: Context) -> None:
    """The daemon: scan on a schedule, notice sent drafts and replies, deliver reminders.

    Watches INBOX and Sent with IMAP IDLE (polling where the server has no
    IDLE), queues a thank-you (with a threaded draft in Drafts), a gift and
    keep-in-touch reminders when a contact replies, and delivers due
    reminders as prompt mails. Logs (key=value) go to stderr. Stops cleanly
    on SIGTERM or SIGINT. Only one daemon runs per state.

    Example: kizuna run
    """
    from worker.daemon.service import Daemon, run_until_signalled

    root = logging.getLogger()
    if root.level > logging.INFO:
        logging.getLogger("worker").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))
    kizuna = ctx.kizuna()
    services = []
    if kizuna.config.api.enabled:
        from worker.core import Kizuna
        from worker.web import WebService

        config = kizuna.config
        services.append(WebService(config, lambda: Kizuna(config)))
    run_until_signalled(Daemon(kizuna, services=services))


@cli.command()
@pass_context
def dashboard(ctx: Context) -> None:
    """Print the login URL of the local page (served while `kizuna run` runs).

    Open it in a browser, or paste it into the Thunderbird add-on's options.
    The token in it is kept in the state directory, readable by you alone.

    Example: kizuna dashboard
    """
    from worker.web import dashboard_url

    config = ctx.config
    if not config.api.enabled:
        raise ConfigError("the local page is off: set [api] enabled = true", key="api.enabled")
    click.echo(dashboard_url(config))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Whether the daemon runs, its last scan and error, and what is pending.

    Example: kizuna status --json
    """
    doc = ctx.kizuna().status()
    if as_json:
        emit_json(doc)
        return
    state = f"running (pid {doc['pid']})" if doc["running"] else "not running"
    click.echo(f"Daemon:            {state}")
    click.echo(f"Last scan:         {doc['last_scan'] or 'never'}")
    click.echo(f"Last heartbeat:    {doc['heartbeat'] or '-'}")
    click.echo(f"Last error:        {doc['last_error'] or '-'}")
    click.echo(f"Pending drafts:    {doc['pending_drafts']}")
    click.echo(f"Pending reminders: {doc['pending_reminders']} ({doc['due_reminders']} due)")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point of the ``kizuna`` console script."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="kizuna", standalone_mode=False
        )
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        _fail(f"{exc.format_message()} (see kizuna --help)", 2)
    except click.Abort:
        _fail("aborted", 1)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except KizunaError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:
        if os.environ.get("KIZUNA_DEBUG"):
            raise
        _fail(describe_unexpected(exc), 1)
    sys.exit(0)


def describe_unexpected(exc: BaseException) -> str:
    """One line for an error that escaped the library's own error tree."""
    from imapclient.exceptions import IMAPClientError

    if isinstance(exc, IMAPClientError):
        from worker.mail.imap import describe_imap_error

        return describe_imap_error(exc)
    if isinstance(exc, sqlite3.Error):
        return f"the state database failed: {exc}"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return (
        f"unexpected error: {type(exc).__name__}: {exc} "
        "(set KIZUNA_DEBUG=1 to see where; please report it)"
    )


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"kizuna: {' '.join(message.split())}", err=True)
    sys.exit(code)
