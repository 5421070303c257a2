"""Kizuna's configuration: one TOML file, validated with messages that name the key.

Lookup order (``../shared/CONTRACT.md``): ``--config PATH``, else
``$KIZUNA_CONFIG``, else ``<user config dir>/kizuna/config.toml``.
Unknown keys and wrong types raise :class:`~worker.errors.ConfigError` naming
the dotted key (exit code 2).
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import ConfigError, SecretError

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


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Server(_Section):
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "tls"
    username: str = Field(min_length=1)
    password: str | None = None
    password_cmd: str | None = None
    oauth2_token_cmd: str | None = None
    ca_file: str | None = None
    timeout: float = Field(default=60.0, gt=0)

    @field_validator("security")
    @classmethod
    def _check_security(cls, value: str, info: ValidationInfo) -> str:
        host = str(info.data.get("host", ""))
        if value == "none" and not is_loopback(host):
            raise ValueError(
                f'"none" is refused for {host}: it would send the password in clear; '
                'use "tls" or "starttls" (plain text is allowed on loopback only)'
            )
        return value

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


class Account(_Server):
    addresses: list[str] = Field(min_length=1)
    display_name: str = ""

    @field_validator("addresses")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        cleaned = [a.strip().lower() for a in value]
        for address in cleaned:
            if "@" not in address:
                raise ValueError(f"{address!r} is not an email address")
        return cleaned

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)


class Smtp(_Server):
    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return {"tls": 465, "starttls": 587, "none": 25}[self.security]


class State(_Section):
    path: str | None = None


class Policy(_Section):
    dormant_after_days: int = Field(default=1095, ge=1)
    max_recipients: int = Field(default=20, ge=1)
    exclude: list[str] = Field(default_factory=list)
    declined_days: int = Field(default=365, ge=0)

    @field_validator("exclude")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    def is_excluded(self, email: str) -> bool:
        email = email.lower()
        for rule in self.exclude:
            if rule.startswith("@"):
                if email.endswith(rule):
                    return True
            elif email == rule:
                return True
        return False


class Outreach(_Section):
    reason: str = ""
    language: Literal["auto", "ja", "en"] = "auto"
    max_drafts_per_run: int = Field(default=5, ge=0)
    signature: str = ""


class Reminders(_Section):
    delivery: Literal["imap", "smtp"] = "imap"
    gift_after_days: int = Field(default=14, ge=0)
    keep_in_touch_days: int = Field(default=180, ge=1)


class Daemon(_Section):
    scan_interval_minutes: float = Field(default=30.0, gt=0)
    poll_seconds: float = Field(default=60.0, gt=0)
    idle_renew_seconds: float = Field(default=540.0, gt=0, le=600)


class Api(_Section):
    enabled: bool = True
    port: int = Field(default=8765, ge=0, le=65535)


class Config(_Section):
    """The whole configuration, as read from the TOML file."""

    account: Account
    smtp: Smtp | None = None
    state: State = State()
    policy: Policy = Policy()
    outreach: Outreach = Outreach()
    reminders: Reminders = Reminders()
    daemon: Daemon = Daemon()
    api: Api = Api()
    _source: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _smtp_needed(self) -> Config:
        if self.reminders.delivery == "smtp" and self.smtp is None:
            raise PydanticCustomError(
                "smtp_missing", 'reminders.delivery = "smtp" needs an [smtp] section'
            )
        return self

    @property
    def source(self) -> str:
        """Where this config was read from (for messages)."""
        return self._source

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
    def templates_dir(self) -> Path:
        """Where a user's own templates override the shipped ones."""
        return user_config_dir() / "templates"

    @property
    def template_override(self) -> Path | None:
        """:attr:`templates_dir` if the user made one, else None (the shipped templates)."""
        found = self.templates_dir
        return found if found.is_dir() else None


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


def find_config_path(explicit: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None) -> Path:
    """Where the config is: ``--config``, else ``$KIZUNA_CONFIG``, else the user config dir."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser()
    if env.get("KIZUNA_CONFIG"):
        return Path(env["KIZUNA_CONFIG"]).expanduser()
    return user_config_dir() / "config.toml"


def _describe(error: Mapping[str, Any]) -> tuple[str, str]:
    loc = [str(p) for p in error.get("loc", ()) if not str(p).startswith("function-")]
    # pydantic reports unions as extra path parts such as "int" or "str"
    loc = [p for p in loc if p not in ("int", "str", "float", "bool", "list[str]", "none")]
    key = ".".join(loc)
    kind = str(error.get("type", ""))
    msg = str(error.get("msg", "invalid"))
    if kind == "extra_forbidden":
        return key, f"unknown key {key}"
    if kind == "missing":
        return key, f"missing required key {key}"
    msg = msg.removeprefix("Value error, ")
    where = f"{key}: " if key else ""
    return key, f"{where}{msg}"


def parse_config(data: Mapping[str, object], source: str = "<config>") -> Config:
    """Validate a parsed TOML document."""
    try:
        config = Config.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        key, message = _describe(first)  # type: ignore[arg-type]
        if first.get("type") == "smtp_missing":
            key = "reminders.delivery"
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{source}: {message}{suffix}", key=key or None) from None
    config._source = source
    return config


def load_config(explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Find, read and validate the configuration."""
    path = find_config_path(explicit, env)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"no config file at {path}: create one (see config/config.example.toml) "
            "or pass --config PATH"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, source=str(path))
