"""Kizuna's configuration: one TOML file, validated with messages that name the key.

Lookup order (``../shared/CONTRACT.md``): ``--config PATH``, else
``$KIZUNA_CONFIG``, else ``<user config dir>/kizuna/config.toml``.
Unknown keys and wrong types raise :class:`~worker.errors.ConfigError` naming
the dotted key (exit code 2).

This module is long because the whole file format lives here, in one place:
every section's schema and defaults, and the rules that span keys.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import subprocess
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import platformdirs
from msgspec import Meta, Struct

from worker.errors import ConfigError, SecretError
from worker.words.language import interface_language

__all__ = [
    "Config",
    "Account",
    "Smtp",
    "load_config",
    "find_config_path",
    "user_config_dir",
    "user_data_dir",
    "is_loopback",
]

APP = "kizuna"
Security = Literal["tls", "starttls", "none"]


def user_config_dir() -> Path:
    """``<user config dir>/kizuna`` (platformdirs)."""
    return Path(platformdirs.user_config_dir(APP))


def user_data_dir() -> Path:
    """``<user data dir>/kizuna`` (platformdirs)."""
    return Path(platformdirs.user_data_dir(APP))


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# The file's shape (types, ranges, unknown keys) is checked by msgspec, one
# section at a time so that problems in several sections are all counted; the
# rules that span keys (_checks) run on the typed sections afterwards. The
# sections are frozen: a Config never changes once loaded. Subclasses inherit
# forbid_unknown_fields; frozen is repeated for type checkers, and kw_only is
# per class (it lets a required key follow keys with defaults).


class _Section(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


_Port = Annotated[int, Meta(ge=1, le=65535)]
_Text = Annotated[str, Meta(min_length=1)]
_Days = Annotated[int, Meta(ge=1)]
_Seconds = Annotated[float, Meta(gt=0)]


class _Server(_Section, frozen=True, kw_only=True):
    host: _Text
    port: _Port | None = None
    security: Security = "tls"
    username: _Text
    password: str | None = None
    password_cmd: str | None = None
    oauth2_token_cmd: str | None = None
    ca_file: str | None = None
    timeout: _Seconds = 60.0

    def secret(self, name: str, vault_get: object | None = None) -> str:
        """The password: ``password``, else ``password_cmd``'s output, else the stored secret."""
        if self.password is not None:
            return self.password
        if self.password_cmd:
            return run_secret_command(self.password_cmd, "password_cmd")
        if callable(vault_get):
            stored = vault_get(name)
            if stored:
                return str(stored)
        raise ConfigError(
            f"no password for {name}: set {name if name == 'smtp' else 'account'}.password, "
            f"password_cmd, or store one with `kizuna secret set{' --smtp' if name == 'smtp' else ''}`",
            key=f"{'smtp' if name == 'smtp' else 'account'}.password",
        )

    def oauth2_token(self) -> str | None:
        """A fresh XOAUTH2 access token from ``oauth2_token_cmd``, if configured."""
        if not self.oauth2_token_cmd:
            return None
        return run_secret_command(self.oauth2_token_cmd, "oauth2_token_cmd")


class Account(_Server, frozen=True, kw_only=True):
    addresses: Annotated[list[str], Meta(min_length=1)]
    display_name: str = ""
    #: The language of Kizuna's own words to you (prompts, reminder mail, the page).
    language: Literal["auto", "en", "ja"] = "auto"

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


class Smtp(_Server, frozen=True, kw_only=True):
    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {"tls": 465, "starttls": 587, "none": 25}[self.security]


class State(_Section, frozen=True, kw_only=True):
    path: str | None = None


class Policy(_Section, frozen=True, kw_only=True):
    dormant_after_days: _Days = 1095
    max_recipients: _Days = 20
    exclude: list[str] = []
    declined_days: Annotated[int, Meta(ge=0)] = 365

    def is_excluded(self, email: str) -> bool:
        email = email.lower()
        for rule in self.exclude:
            if rule.startswith("@"):
                if email.endswith(rule):
                    return True
            elif email == rule:
                return True
        return False


class Outreach(_Section, frozen=True, kw_only=True):
    #: Why you write: one text, or a table by language (``{ en = "...", ja = "..." }``).
    reason: str | dict[str, str] = ""
    language: Literal["auto", "ja", "en"] = "auto"
    max_drafts_per_run: Annotated[int, Meta(ge=0)] = 5
    signature: str = ""


class Reminders(_Section, frozen=True, kw_only=True):
    delivery: Literal["imap", "smtp"] = "imap"
    gift_after_days: Annotated[int, Meta(ge=0)] = 14
    keep_in_touch_days: _Days = 180


class Daemon(_Section, frozen=True, kw_only=True):
    scan_interval_minutes: _Seconds = 30.0
    poll_seconds: _Seconds = 60.0
    idle_renew_seconds: Annotated[float, Meta(gt=0, le=600)] = 540.0


class Api(_Section, frozen=True, kw_only=True):
    enabled: bool = True
    port: Annotated[int, Meta(ge=0, le=65535)] = 8765


class Config(_Section, frozen=True, kw_only=True):
    """The whole configuration, as read from the TOML file.

    ``source`` is where it was read from (for messages); it is no key of the
    file. Change a copy with ``msgspec.structs.replace``.
    """

    account: Account
    smtp: Smtp | None = None
    state: State = State()
    policy: Policy = Policy()
    outreach: Outreach = Outreach()
    reminders: Reminders = Reminders()
    daemon: Daemon = Daemon()
    api: Api = Api()
    source: str = ""

    @property
    def state_path(self) -> Path:
        if self.state.path:
            return Path(self.state.path).expanduser()
        return user_data_dir() / "state.db"

    @property
    def state_dir(self) -> Path:
        return self.state_path.parent

    @property
    def me(self) -> frozenset[str]:
        return frozenset(self.account.addresses)

    @property
    def user_language(self) -> str:
        """The language of Kizuna's own words to you: ``[account] language``, ``auto`` by locale."""
        return interface_language(self.account.language, os.environ)

    @property
    def templates_dir(self) -> Path:
        """Where a user's own templates override the shipped ones."""
        return user_config_dir() / "templates"

    @property
    def template_override(self) -> Path | None:
        """:attr:`templates_dir` if the user made one, else None (the shipped templates)."""
        found = self.templates_dir
        return found if found.is_dir() else None


#: The file's sections, in the order their problems are reported.
_SECTIONS: dict[str, type[_Section]] = {
    "account": Account,
    "smtp": Smtp,
    "state": State,
    "policy": Policy,
    "outreach": Outreach,
    "reminders": Reminders,
    "daemon": Daemon,
    "api": Api,
}


def run_secret_command(command: str, key: str) -> str:
    """Run a user's secret command and return its first output line."""
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SecretError(f"{key} could not run: {exc}") from None
    if done.returncode != 0:
        raise SecretError(f"{key} failed with exit code {done.returncode}")
    value = done.stdout.splitlines()[0].strip() if done.stdout.strip() else ""
    if not value:
        raise SecretError(f"{key} printed nothing")
    return value


def find_config_path(
    explicit: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
) -> Path:
    """Where the config is: ``--config``, else ``$KIZUNA_CONFIG``, else the user config dir."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser()
    if env.get("KIZUNA_CONFIG"):
        return Path(env["KIZUNA_CONFIG"]).expanduser()
    return user_config_dir() / "config.toml"


_MSGSPEC_ERROR = re.compile(r"(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)
_FIELD_PROBLEM = re.compile(
    r"Object (?P<what>contains unknown|missing required) field `(?P<field>[^`]*)`"
)


def _choices(kind: type[_Section], field: str) -> str:
    """ "; one of: a, b" for a key that takes one of some words, else ""."""
    for info in msgspec.structs.fields(kind):
        if info.name == field and typing.get_origin(info.type) is Literal:
            return "; one of: " + ", ".join(map(str, typing.get_args(info.type)))
    return ""


def _describe(section: str, error: msgspec.ValidationError) -> tuple[str, str]:
    """(dotted key, message) of msgspec's message about one section, in TOML's words."""
    m = _MSGSPEC_ERROR.fullmatch(str(error))
    assert m is not None  # the pattern matches any text
    key = section + (m["path"] or "")  # msgspec's path: ".port", ".addresses[0]"
    field = _FIELD_PROBLEM.fullmatch(m["msg"])
    if field is not None:
        key = f"{key}.{field['field']}"
        return (
            key,
            f"{'unknown key' if field['what'] == 'contains unknown' else 'missing required key'} {key}",
        )
    msg = m["msg"].replace("`object`", "`table`").replace(" | null`", "`")
    if msg.startswith("Invalid enum value") and m["path"]:
        msg += _choices(_SECTIONS[section], m["path"].lstrip("."))
    return key, f"{key}: {msg[:1].lower()}{msg[1:]}"


def _lower_addresses(config: Config) -> Config:
    """Addresses and exclusion rules compare in lower case: store them so."""
    return msgspec.structs.replace(
        config,
        account=msgspec.structs.replace(
            config.account, addresses=[a.strip().lower() for a in config.account.addresses]
        ),
        policy=msgspec.structs.replace(
            config.policy, exclude=[v.strip().lower() for v in config.policy.exclude]
        ),
    )


def _plain_text_refused(server: _Server) -> str | None:
    if server.security == "none" and not is_loopback(server.host):
        return (
            f'"none" is refused for {server.host}: it would send the password in clear; '
            'use "tls" or "starttls" (plain text is allowed on loopback only)'
        )
    return None


def _checks(config: Config) -> list[tuple[str, str]]:
    """The rules that span keys: (dotted key, message) of each one broken."""
    problems: list[tuple[str, str]] = []
    for name, server in (("account", config.account), ("smtp", config.smtp)):
        refused = _plain_text_refused(server) if server is not None else None
        if refused:
            problems.append((f"{name}.security", f"{name}.security: {refused}"))
    for address in config.account.addresses:
        if "@" not in address:
            problems.append(
                ("account.addresses", f"account.addresses: {address!r} is not an email address")
            )
    if isinstance(config.outreach.reason, dict):
        for language in config.outreach.reason:
            if language not in ("en", "ja"):
                problems.append(
                    (
                        f"outreach.reason.{language}",
                        f"outreach.reason: {language!r} is not a language Kizuna writes in; "
                        "use en or ja",
                    )
                )
    if config.reminders.delivery == "smtp" and config.smtp is None:
        problems.append(
            ("reminders.delivery", 'reminders.delivery = "smtp" needs an [smtp] section')
        )
    return problems


def parse_config(data: Mapping[str, object], source: str = "<config>") -> Config:
    """Validate a parsed TOML document.

    Raises :class:`ConfigError` naming the dotted key of the first problem
    (and how many more there are), exit code 2.
    """
    problems: list[tuple[str, str]] = []
    sections: dict[str, Any] = {}
    for name, kind in _SECTIONS.items():
        if name not in data:
            if name == "account":
                problems.append(("account", "missing required key account"))
            continue
        try:
            sections[name] = msgspec.convert(data[name], kind)
        except msgspec.ValidationError as exc:
            problems.append(_describe(name, exc))
    problems += [(str(key), f"unknown key {key}") for key in data if key not in _SECTIONS]
    if not problems:
        config = _lower_addresses(Config(**sections, source=source))
        problems = _checks(config)
        if not problems:
            return config
    key, message = problems[0]
    more = len(problems) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    raise ConfigError(f"{source}: {message}{suffix}", key=key or None)


def _example_config() -> str:
    """Where the example config shipped with Kizuna is (``worker.defaults``)."""
    import importlib.resources

    return str(importlib.resources.files("worker.defaults") / "config.example.toml")


def load_config(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Find, read and validate the configuration."""
    path = find_config_path(explicit, env)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"no config file at {path}: create one (a copy of {_example_config()} to fill in) "
            "or pass --config PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, source=str(path))
