"""The configuration (worker.config): lookup order, defaults, validation messages.

Pure: real TOML files in ``tmp_path``, no server. ``../shared/CONTRACT.md``
("Configuration") is the specification.
"""

from __future__ import annotations

import copy
import importlib.resources
import shlex
import sys
import tomllib
from pathlib import Path

import pytest

from worker.config import (
    Config,
    find_config_path,
    is_loopback,
    load_config,
    parse_config,
    user_config_dir,
)
from worker.errors import ConfigError, SecretError, UsageError

MINIMAL = """
[account]
host = "imap.example.com"
username = "me@example.com"
addresses = ["me@example.com"]
"""

BASE: dict[str, object] = {
    "account": {
        "host": "imap.example.com",
        "username": "me@example.com",
        "addresses": ["me@example.com"],
    }
}


def data(**sections: dict[str, object]) -> dict[str, object]:
    """BASE with sections merged in (a section's keys update BASE's)."""
    out = copy.deepcopy(BASE)
    for name, values in sections.items():
        current = out.get(name)
        if isinstance(current, dict) and isinstance(values, dict):
            current.update(values)
        else:
            out[name] = values
    return out


def config_error(doc: dict[str, object]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(doc, source="cfg.toml")
    return info.value


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def echo_cmd(text: str) -> str:
    """A real command line that prints ``text`` (then a second line)."""
    code = f"print({text!r}); print('second line')"
    return shlex.join([sys.executable, "-c", code])


# --- defaults -------------------------------------------------------------------


def test_minimal_config_gets_the_contract_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), env={})
    assert isinstance(config, Config)
    assert config.account.security == "tls"
    assert config.account.port is None
    assert config.account.effective_port == 993
    assert config.smtp is None
    assert config.policy.dormant_after_days == 1095
    assert config.policy.max_recipients == 20
    assert config.policy.exclude == []
    assert config.outreach.language == "auto"
    assert config.outreach.max_drafts_per_run == 5
    assert config.reminders.delivery == "imap"
    assert config.reminders.gift_after_days == 14
    assert config.reminders.keep_in_touch_days == 180
    assert config.api.enabled is True
    assert config.api.port == 8765
    assert config.source == str(tmp_path / "config.toml")


@pytest.mark.parametrize(("security", "port"), [("tls", 993), ("starttls", 143)])
def test_imap_default_port_follows_security(security: str, port: int) -> None:
    config = parse_config(data(account={"security": security}))
    assert config.account.effective_port == port


def test_imap_plain_on_loopback_defaults_to_143() -> None:
    config = parse_config(data(account={"security": "none", "host": "127.0.0.1"}))
    assert config.account.effective_port == 143


def test_explicit_imap_port_wins() -> None:
    config = parse_config(data(account={"port": 1993, "security": "starttls"}))
    assert config.account.effective_port == 1993


@pytest.mark.parametrize(
    ("security", "host", "port"),
    [
        ("tls", "smtp.example.com", 465),
        ("starttls", "smtp.example.com", 587),
        ("none", "localhost", 25),
    ],
)
def test_smtp_default_port_follows_security(security: str, host: str, port: int) -> None:
    config = parse_config(
        data(smtp={"host": host, "username": "me@example.com", "security": security})
    )
    assert config.smtp is not None
    assert config.smtp.effective_port == port


def test_explicit_smtp_port_wins() -> None:
    config = parse_config(data(smtp={"host": "s.example", "username": "u", "port": 2525}))
    assert config.smtp is not None and config.smtp.effective_port == 2525


def test_state_path_default_is_in_the_user_data_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    config = parse_config(data())
    assert config.state_path == tmp_path / "data" / "kizuna" / "state.db"
    assert config.state_dir == tmp_path / "data" / "kizuna"


def test_state_path_expands_the_home_directory(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = parse_config(data(state={"path": "~/kz/state.db"}))
    assert config.state_path == tmp_path / "kz" / "state.db"


# --- lookup order ---------------------------------------------------------------


def test_explicit_path_beats_environment(tmp_path: Path) -> None:
    env = {"KIZUNA_CONFIG": str(tmp_path / "env.toml")}
    assert find_config_path(tmp_path / "cli.toml", env) == tmp_path / "cli.toml"


def test_environment_beats_user_config_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    env = {"KIZUNA_CONFIG": str(tmp_path / "env.toml")}
    assert find_config_path(None, env) == tmp_path / "env.toml"


def test_empty_environment_variable_is_ignored(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert (
        find_config_path(None, {"KIZUNA_CONFIG": ""}) == tmp_path / "xdg" / "kizuna" / "config.toml"
    )


def test_user_config_dir_is_the_fallback(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert user_config_dir() == tmp_path / "xdg" / "kizuna"
    assert find_config_path(None, {}) == tmp_path / "xdg" / "kizuna" / "config.toml"


def test_env_argument_defaults_to_os_environ(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KIZUNA_CONFIG", str(tmp_path / "from-os.toml"))
    assert find_config_path(None) == tmp_path / "from-os.toml"


def test_explicit_path_expands_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_config_path("~/k.toml", {}) == tmp_path / "k.toml"


def test_load_config_reads_each_source_in_order(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    (tmp_path / "xdg" / "kizuna").mkdir(parents=True)
    write(tmp_path / "xdg" / "kizuna", MINIMAL.replace("imap.example.com", "user-dir.example"))
    env_file = write(tmp_path, MINIMAL.replace("imap.example.com", "env.example"), "env.toml")
    cli_file = write(tmp_path, MINIMAL.replace("imap.example.com", "cli.example"), "cli.toml")
    env = {"KIZUNA_CONFIG": str(env_file)}

    assert load_config(None, env={}).account.host == "user-dir.example"
    assert load_config(None, env=env).account.host == "env.example"
    assert load_config(cli_file, env=env).account.host == "cli.example"
    assert load_config(str(cli_file), env=env).source == str(cli_file)


# --- file errors ----------------------------------------------------------------


def test_missing_file_is_a_config_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing, env={})
    message = str(info.value)
    assert str(missing) in message
    assert "--config" in message
    assert info.value.exit_code == 2
    assert isinstance(info.value, UsageError)


def test_missing_user_config_names_the_user_config_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    with pytest.raises(ConfigError, match="xdg/kizuna/config.toml"):
        load_config(None, env={})


def test_missing_config_points_at_the_shipped_example(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "none.toml", env={})
    example = importlib.resources.files("worker.defaults") / "config.example.toml"
    assert f"a copy of {example} to fill in" in str(info.value)
    assert example.is_file()


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[account\nhost = ")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert "not valid TOML" in str(info.value)
    assert str(path) in str(info.value)


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(MINIMAL.encode() + b'\n[outreach]\nreason = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, env={})


def test_directory_instead_of_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path, env={})


def test_duplicate_key_in_toml_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + 'host = "again.example"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, env={})


# --- unknown keys ---------------------------------------------------------------


def test_unknown_top_level_key_is_named() -> None:
    error = config_error(data(colour="blue"))
    assert error.key == "colour"
    assert "unknown key colour" in str(error)
    assert str(error).startswith("cfg.toml: ")


def test_unknown_top_level_section_is_named() -> None:
    error = config_error(data(accounts={"host": "x"}))
    assert error.key == "accounts"
    assert "accounts" in str(error)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("account", "passwrd"),
        ("policy", "max_recipient"),
        ("outreach", "lang"),
        ("reminders", "gift_days"),
        ("state", "dir"),
        ("daemon", "interval"),
        ("api", "host"),
    ],
)
def test_unknown_key_in_a_section_is_named_with_its_section(section: str, key: str) -> None:
    error = config_error(data(**{section: {key: 1}}))
    assert error.key == f"{section}.{key}"
    assert f"unknown key {section}.{key}" in str(error)


def test_unknown_key_in_smtp_is_named() -> None:
    error = config_error(data(smtp={"host": "s.example", "username": "u", "tls": True}))
    assert error.key == "smtp.tls"
    assert "smtp.tls" in str(error)


def test_unknown_key_in_a_real_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "\n[policy]\ndormant_days = 10\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.key == "policy.dormant_days"
    assert str(path) in str(info.value)


def test_internal_source_field_is_not_a_config_key() -> None:
    error = config_error(data(source="elsewhere"))
    assert error.key == "source"


def test_several_problems_are_counted() -> None:
    error = config_error(data(colour="blue", policy={"max_recipients": "x", "nope": 1}))
    assert "more problem" in str(error)


# --- wrong types ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "key"),
    [
        (data(account={"port": "x"}), "account.port"),
        (data(account={"port": "993"}), "account.port"),
        (data(account={"port": 99999}), "account.port"),
        (data(account={"port": 0}), "account.port"),
        (data(account={"port": True}), "account.port"),
        (data(account={"addresses": "me@example.com"}), "account.addresses"),
        (data(account={"addresses": []}), "account.addresses"),
        (data(account={"addresses": ["not-an-address"]}), "account.addresses"),
        (data(account={"host": ""}), "account.host"),
        (data(account={"host": 5}), "account.host"),
        (data(account={"security": "ssl"}), "account.security"),
        (data(account={"display_name": 3}), "account.display_name"),
        (data(policy={"max_recipients": "3"}), "policy.max_recipients"),
        (data(policy={"max_recipients": 0}), "policy.max_recipients"),
        (data(policy={"dormant_after_days": 1.5}), "policy.dormant_after_days"),
        (data(policy={"exclude": "@bank.example"}), "policy.exclude"),
        (data(outreach={"language": "fr"}), "outreach.language"),
        (data(outreach={"max_drafts_per_run": -1}), "outreach.max_drafts_per_run"),
        (data(reminders={"delivery": "carrier-pigeon"}), "reminders.delivery"),
        (data(reminders={"keep_in_touch_days": 0}), "reminders.keep_in_touch_days"),
        (data(state={"path": 5}), "state.path"),
        (data(api={"enabled": "yes"}), "api.enabled"),
        (data(account="imap.example.com"), "account"),
    ],
)
def test_wrong_type_names_the_key(doc: dict[str, object], key: str) -> None:
    error = config_error(doc)
    assert error.key == key
    assert f"{key}:" in str(error)
    assert error.exit_code == 2


def test_address_item_of_wrong_type_names_the_key() -> None:
    error = config_error(data(account={"addresses": [1]}))
    assert error.key is not None and error.key.startswith("account.addresses")


def test_wrong_type_in_a_real_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("username", 'port = "x"\nusername'))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.key == "account.port"
    assert "account.port" in str(info.value)


def test_integer_is_accepted_where_a_float_is_expected() -> None:
    config = parse_config(data(daemon={"poll_seconds": 5}, account={"timeout": 30}))
    assert config.daemon.poll_seconds == 5.0
    assert config.account.timeout == 30.0


# --- missing keys ---------------------------------------------------------------


@pytest.mark.parametrize("key", ["host", "username", "addresses"])
def test_missing_required_account_key(key: str) -> None:
    doc = data()
    del doc["account"][key]  # type: ignore[attr-defined]
    error = config_error(doc)
    assert error.key == f"account.{key}"
    assert f"missing required key account.{key}" in str(error)


def test_missing_account_section() -> None:
    error = config_error({"policy": {"max_recipients": 5}})
    assert error.key == "account"
    assert "missing required key account" in str(error)


@pytest.mark.parametrize("key", ["host", "username"])
def test_missing_required_smtp_key(key: str) -> None:
    smtp = {"host": "smtp.example.com", "username": "u"}
    del smtp[key]
    error = config_error(data(smtp=smtp))
    assert error.key == f"smtp.{key}"


def test_empty_file_names_the_missing_account(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, ""), env={})
    assert info.value.key == "account"


# --- plain-text connections -------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["imap.example.com", "192.168.1.10", "10.0.0.1", "::2", "localhost.evil.example"]
)
def test_security_none_is_refused_off_loopback(host: str) -> None:
    error = config_error(data(account={"host": host, "security": "none"}))
    assert error.key == "account.security"
    assert host in str(error)
    assert "loopback" in str(error)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.53", "localhost", "LOCALHOST", "::1", "[::1]"]
)
def test_security_none_is_allowed_on_loopback(host: str) -> None:
    config = parse_config(data(account={"host": host, "security": "none"}))
    assert config.account.security == "none"
    assert config.account.effective_port == 143


def test_smtp_security_none_is_refused_off_loopback() -> None:
    error = config_error(
        data(smtp={"host": "smtp.example.com", "username": "u", "security": "none"})
    )
    assert error.key == "smtp.security"


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("example.com")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("")


# --- addresses and exclusions ---------------------------------------------------


def test_addresses_are_lower_cased_and_stripped() -> None:
    config = parse_config(data(account={"addresses": [" Me@Example.COM", "ME@Old-Job.Example "]}))
    assert config.account.addresses == ["me@example.com", "me@old-job.example"]
    assert config.me == frozenset({"me@example.com", "me@old-job.example"})


def test_exclude_rules_match_case_insensitively() -> None:
    config = parse_config(data(policy={"exclude": ["@Bank.Example", "Boss@Corp.Example"]}))
    policy = config.policy
    assert policy.exclude == ["@bank.example", "boss@corp.example"]
    assert policy.is_excluded("teller@bank.example")
    assert policy.is_excluded("Teller@BANK.example")
    assert policy.is_excluded("boss@corp.example")
    assert policy.is_excluded("BOSS@Corp.Example")
    # near misses
    assert not policy.is_excluded("teller@bank.example.org")
    assert not policy.is_excluded("teller@notbank.example")
    assert not policy.is_excluded("bigboss@corp.example")
    assert not policy.is_excluded("boss@corp.example.net")
    assert not policy.is_excluded("friend@corp.example")


def test_nothing_is_excluded_by_default() -> None:
    assert not parse_config(data()).policy.is_excluded("anyone@bank.example")


# --- passwords --------------------------------------------------------------------


def test_password_wins_over_password_cmd() -> None:
    config = parse_config(
        data(account={"password": "literal", "password_cmd": echo_cmd("from-command")})
    )
    assert config.account.secret("account") == "literal"


def test_password_cmd_output_first_line_is_the_password() -> None:
    config = parse_config(data(account={"password_cmd": echo_cmd("  s3cret  ")}))
    assert config.account.secret("account", vault_get=lambda name: "from-vault") == "s3cret"


def test_stored_secret_is_the_last_resort() -> None:
    asked: list[str] = []

    def vault_get(name: str) -> str:
        asked.append(name)
        return "stored"

    config = parse_config(data())
    assert config.account.secret("account", vault_get=vault_get) == "stored"
    assert asked == ["account"]


def test_no_password_anywhere_is_a_config_error_naming_the_key() -> None:
    config = parse_config(data())
    with pytest.raises(ConfigError) as info:
        config.account.secret("account", vault_get=lambda name: None)
    assert info.value.key == "account.password"
    assert "kizuna secret set" in str(info.value)


def test_no_smtp_password_names_the_smtp_key() -> None:
    config = parse_config(data(smtp={"host": "smtp.example.com", "username": "u"}))
    assert config.smtp is not None
    with pytest.raises(ConfigError) as info:
        config.smtp.secret("smtp")
    assert info.value.key == "smtp.password"
    assert "--smtp" in str(info.value)


def test_failing_password_cmd_is_a_secret_error() -> None:
    cmd = shlex.join([sys.executable, "-c", "import sys; sys.exit(3)"])
    config = parse_config(data(account={"password_cmd": cmd}))
    with pytest.raises(SecretError, match="exit code 3"):
        config.account.secret("account")


def test_silent_password_cmd_is_a_secret_error() -> None:
    cmd = shlex.join([sys.executable, "-c", "pass"])
    config = parse_config(data(account={"password_cmd": cmd}))
    with pytest.raises(SecretError, match="printed nothing"):
        config.account.secret("account")


def test_missing_password_cmd_program_is_a_secret_error(tmp_path: Path) -> None:
    config = parse_config(data(account={"password_cmd": str(tmp_path / "no-such-program")}))
    with pytest.raises(SecretError, match="could not run"):
        config.account.secret("account")


def test_oauth2_token_cmd() -> None:
    assert parse_config(data()).account.oauth2_token() is None
    config = parse_config(data(account={"oauth2_token_cmd": echo_cmd("tok-123")}))
    assert config.account.oauth2_token() == "tok-123"


# --- cross-section rules ----------------------------------------------------------


def test_smtp_delivery_needs_an_smtp_section() -> None:
    error = config_error(data(reminders={"delivery": "smtp"}))
    assert "reminders.delivery" in str(error)
    assert "[smtp]" in str(error)


def test_smtp_delivery_without_smtp_sets_the_error_key() -> None:
    assert config_error(data(reminders={"delivery": "smtp"})).key == "reminders.delivery"


def test_smtp_delivery_with_smtp_section_is_fine() -> None:
    config = parse_config(
        data(reminders={"delivery": "smtp"}, smtp={"host": "smtp.example.com", "username": "u"})
    )
    assert config.reminders.delivery == "smtp"
    assert config.smtp is not None and config.smtp.effective_port == 465


def test_config_is_frozen() -> None:
    config = parse_config(data())
    with pytest.raises(AttributeError):
        config.account.host = "other.example"  # type: ignore[misc]


# --- the shipped example -------------------------------------------------------------


def test_shipped_example_config_loads() -> None:
    example = importlib.resources.files("worker.defaults") / "config.example.toml"
    assert example.is_file(), "config/config.example.toml is not shipped as worker.defaults"
    with importlib.resources.as_file(example) as path:
        config = load_config(path, env={})
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    for section in ("account", "policy", "outreach", "reminders"):
        assert section in raw, f"the example lacks [{section}]"
    assert config.account.addresses
    assert all(a == a.lower() and "@" in a for a in config.account.addresses)
    # the example shows the contract's defaults
    assert (config.policy.max_recipients, config.policy.dormant_after_days) == (20, 1095)


CONTRACT_SAMPLE = """
[account]
host = "imap.example.com"
port = 993                      # default: 993 for tls, 143 otherwise
security = "tls"                # tls | starttls | none
username = "me@example.com"
password = "..."
addresses = ["me@example.com", "me@old-job.example"]
display_name = "Me Myself"

[smtp]
host = "smtp.example.com"
port = 465
security = "tls"
username = "me@example.com"
password = "..."

[state]
path = "~/.local/share/kizuna/state.db"

[policy]
dormant_after_days = 1095
max_recipients = 20
exclude = ["@bank.example", "boss@corp.example"]

[outreach]
reason = "I am moving into product design and would love your view on it."
language = "auto"
max_drafts_per_run = 5

[reminders]
delivery = "imap"
gift_after_days = 14
keep_in_touch_days = 180
"""


def test_the_contracts_sample_config_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, CONTRACT_SAMPLE), env={})
    assert config.account.addresses == ["me@example.com", "me@old-job.example"]
    assert config.account.display_name == "Me Myself"
    assert config.smtp is not None and config.smtp.effective_port == 465
    assert config.policy.is_excluded("x@bank.example")
    assert config.outreach.reason.startswith("I am moving")
    assert config.account.secret("account") == "..."


def test_a_word_outside_its_choices_lists_them() -> None:
    error = config_error(data(account={"security": "ssl"}))
    assert error.key == "account.security"
    assert "'ssl'" in str(error)
    assert "one of: tls, starttls, none" in str(error)


def test_types_are_named_in_toml_words() -> None:
    assert "table" in str(config_error(data(account="imap.example.com")))
    assert "null" not in str(config_error(data(account={"port": "x"})))
