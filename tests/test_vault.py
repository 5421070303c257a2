"""Secrets at rest (worker.vault), on real files in tmp_path.

The OS keyring is never touched: tests either disable it or install an
in-memory backend with ``keyring.set_keyring`` and restore the old one.
"""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail, null

from worker import vault as vault_module
from worker.errors import KizunaError, SecretError
from worker.vault import KEYRING_SERVICE, Vault, read_secret_from

PLAIN = "correct horse battery staple ✓"
PLAIN_SMTP = "smtp-only-secret-0451"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring; not viable, so keyring never picks it on its own."""

    priority = 1  # type: ignore[assignment]
    viable = False  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection")


@pytest.fixture
def installed_keyring():
    """Install a backend for the duration of a test, then restore the previous one."""
    previous = keyring.get_keyring()

    def install(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    try:
        yield install
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(installed_keyring) -> MemoryKeyring:
    return installed_keyring(MemoryKeyring())


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def passphrase_vault(state: Path, passphrase: str = "open sesame") -> Vault:
    return Vault(state, use_keyring=False, env={"KIZUNA_PASSPHRASE": passphrase})


def keyfile_vault(state: Path) -> Vault:
    return Vault(state, use_keyring=False, env={})


def all_bytes_under(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


# -- round trips, one per key source -----------------------------------------


def test_round_trip_with_passphrase(tmp_path: Path) -> None:
    state = tmp_path / "state"
    vault = passphrase_vault(state)
    assert vault.describe() == "passphrase (KIZUNA_PASSPHRASE)"
    vault.set("imap", PLAIN)
    assert vault.get("imap") == PLAIN
    # A fresh Vault (another process) with the same passphrase reads it too.
    assert passphrase_vault(state).get("imap") == PLAIN
    entry = json.loads((state / "secrets.json").read_text())["imap"]
    assert entry["scheme"] == "scrypt-aesgcm"
    assert len(base64.b64decode(entry["salt"])) >= 16
    assert not (state / "secret.key").exists()


def test_passphrase_salt_is_per_secret(tmp_path: Path) -> None:
    vault = passphrase_vault(tmp_path)
    vault.set("imap", PLAIN)
    vault.set("smtp", PLAIN)
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert stored["imap"]["salt"] != stored["smtp"]["salt"]
    assert stored["imap"]["token"] != stored["smtp"]["token"]


def test_passphrase_wins_over_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    vault = Vault(tmp_path, env={"KIZUNA_PASSPHRASE": "pw"})
    assert vault.describe() == "passphrase (KIZUNA_PASSPHRASE)"
    vault.set("imap", PLAIN)
    assert memory_keyring.store == {}


def test_round_trip_with_key_file(tmp_path: Path) -> None:
    state = tmp_path / "state"
    vault = keyfile_vault(state)
    assert vault.describe() == f"key file {state.resolve() / 'secret.key'}"
    vault.set("imap", PLAIN)
    assert vault.get("imap") == PLAIN
    assert keyfile_vault(state).get("imap") == PLAIN
    assert json.loads((state / "secrets.json").read_text())["imap"]["scheme"] == "keyfile-aesgcm"
    assert (state / "secret.key").exists()


def test_key_file_is_created_once(tmp_path: Path) -> None:
    vault = keyfile_vault(tmp_path)
    vault.set("imap", PLAIN)
    key = (tmp_path / "secret.key").read_bytes()
    vault.set("smtp", PLAIN_SMTP)
    assert (tmp_path / "secret.key").read_bytes() == key
    assert vault.get("imap") == PLAIN


def test_round_trip_with_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    state = tmp_path / "state"
    vault = Vault(state, env={})
    assert vault.describe() == "OS keyring"
    vault.set("imap", PLAIN)
    assert vault.get("imap") == PLAIN
    assert Vault(state, env={}).get("imap") == PLAIN
    assert list(memory_keyring.store) == [(KEYRING_SERVICE, str(state.resolve()))]
    assert not (state / "secret.key").exists()
    assert json.loads((state / "secrets.json").read_text())["imap"]["scheme"] == "keyring-aesgcm"


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_unusable_keyring_falls_back_to_key_file(
    tmp_path: Path, installed_keyring, backend
) -> None:
    installed_keyring(backend)
    vault = Vault(tmp_path, env={})
    assert vault.describe().startswith("key file ")
    vault.set("imap", PLAIN)
    assert vault.get("imap") == PLAIN
    assert (tmp_path / "secret.key").exists()


def test_empty_chainer_keyring_falls_back_to_key_file(
    tmp_path: Path, installed_keyring, monkeypatch
) -> None:
    from keyring.backends import chainer

    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    installed_keyring(chainer.ChainerBackend())
    assert Vault(tmp_path, env={}).describe().startswith("key file ")


def test_use_keyring_false_ignores_a_working_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    vault = Vault(tmp_path, use_keyring=False, env={})
    vault.set("imap", PLAIN)
    assert memory_keyring.store == {}
    assert (tmp_path / "secret.key").exists()


def test_keyring_errors_become_secret_errors(tmp_path: Path, installed_keyring) -> None:
    installed_keyring(LockedKeyring())
    vault = Vault(tmp_path, env={})
    with pytest.raises(SecretError, match="OS keyring.*KeyringLocked"):
        vault.set("imap", PLAIN)
    assert not (tmp_path / "secrets.json").exists()


# -- wrong keys, other sources, tampering --------------------------------------


def test_wrong_passphrase(tmp_path: Path) -> None:
    passphrase_vault(tmp_path, "right").set("imap", PLAIN)
    with pytest.raises(SecretError, match="different KIZUNA_PASSPHRASE") as caught:
        passphrase_vault(tmp_path, "wrong").get("imap")
    assert "imap password" in str(caught.value)
    assert PLAIN not in str(caught.value)
    assert "right" not in str(caught.value)
    assert isinstance(caught.value, KizunaError)


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="KIZUNA_PASSPHRASE is set but empty"):
        passphrase_vault(tmp_path, "").set("imap", PLAIN)


def test_passphrase_secret_read_without_passphrase(tmp_path: Path) -> None:
    passphrase_vault(tmp_path).set("imap", PLAIN)
    with pytest.raises(SecretError, match="set KIZUNA_PASSPHRASE") as caught:
        keyfile_vault(tmp_path).get("imap")
    assert "kizuna secret set" in str(caught.value)
    # Reading must not create a key file as a side effect.
    assert not (tmp_path / "secret.key").exists()


def test_key_file_secret_read_with_passphrase(tmp_path: Path) -> None:
    keyfile_vault(tmp_path).set("smtp", PLAIN_SMTP)
    with pytest.raises(SecretError, match="key file") as caught:
        passphrase_vault(tmp_path).get("smtp")
    assert "smtp password" in str(caught.value)
    assert "kizuna secret set --smtp" in str(caught.value)


def test_keyring_secret_read_without_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    Vault(tmp_path, env={}).set("imap", PLAIN)
    with pytest.raises(SecretError, match="OS keyring"):
        keyfile_vault(tmp_path).get("imap")


def test_keyring_key_lost(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    Vault(tmp_path, env={}).set("imap", PLAIN)
    memory_keyring.store.clear()
    with pytest.raises(SecretError, match="holds no Kizuna key"):
        Vault(tmp_path, env={}).get("imap")
    assert memory_keyring.store == {}  # reading never creates a key


def test_key_file_replaced(tmp_path: Path) -> None:
    keyfile_vault(tmp_path).set("imap", PLAIN)
    os.unlink(tmp_path / "secret.key")
    with pytest.raises(SecretError, match="is missing"):
        keyfile_vault(tmp_path).get("imap")
    keyfile_vault(tmp_path).set("smtp", PLAIN_SMTP)  # makes a new key
    with pytest.raises(SecretError, match="key file .* has changed"):
        keyfile_vault(tmp_path).get("imap")


def _tamper(state: Path, name: str, field: str = "token") -> None:
    path = state / "secrets.json"
    stored = json.loads(path.read_text())
    raw = bytearray(base64.b64decode(stored[name][field]))
    raw[-1] ^= 0x01
    stored[name][field] = base64.b64encode(bytes(raw)).decode()
    path.write_text(json.dumps(stored))


@pytest.mark.parametrize("make", [passphrase_vault, keyfile_vault], ids=["passphrase", "keyfile"])
def test_tampered_token(tmp_path: Path, make) -> None:
    make(tmp_path).set("imap", PLAIN)
    _tamper(tmp_path, "imap")
    with pytest.raises(SecretError, match="cannot decrypt the stored imap password"):
        make(tmp_path).get("imap")


def test_tampered_salt(tmp_path: Path) -> None:
    passphrase_vault(tmp_path).set("imap", PLAIN)
    _tamper(tmp_path, "imap", "salt")
    with pytest.raises(SecretError):
        passphrase_vault(tmp_path).get("imap")


def test_swapped_entries_do_not_decrypt(tmp_path: Path) -> None:
    """A token is bound to its name: the smtp token moved into the imap slot fails."""
    vault = keyfile_vault(tmp_path)
    vault.set("imap", PLAIN)
    vault.set("smtp", PLAIN_SMTP)
    path = tmp_path / "secrets.json"
    stored = json.loads(path.read_text())
    stored["imap"] = stored["smtp"]
    path.write_text(json.dumps(stored))
    with pytest.raises(SecretError, match="imap password"):
        vault.get("imap")


def test_relabelled_scheme_does_not_decrypt(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    keyfile_vault(tmp_path).set("imap", PLAIN)
    path = tmp_path / "secrets.json"
    stored = json.loads(path.read_text())
    stored["imap"]["scheme"] = "keyring-aesgcm"
    path.write_text(json.dumps(stored))
    with pytest.raises(SecretError):
        Vault(tmp_path, env={}).get("imap")


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[]",
        b'{"imap": "x"}',
        b'{"imap": {"scheme": "rot13", "token": "x"}}',
        b'{"imap": {"scheme": "keyfile-aesgcm", "salt": null, "token": "!!"}}',
    ],
    ids=["garbage", "list", "entry-not-object", "unknown-scheme", "bad-base64"],
)
def test_damaged_secrets_file(tmp_path: Path, content: bytes) -> None:
    vault = keyfile_vault(tmp_path)
    vault.set("smtp", PLAIN_SMTP)
    (tmp_path / "secrets.json").write_bytes(content)
    with pytest.raises(SecretError):
        vault.get("imap")


# -- files on disk -------------------------------------------------------------


@pytest.mark.parametrize("make", [passphrase_vault, keyfile_vault], ids=["passphrase", "keyfile"])
def test_file_modes(tmp_path: Path, make) -> None:
    old = os.umask(0o022)
    try:
        state = tmp_path / "deep" / "state"
        make(state).set("imap", PLAIN)
    finally:
        os.umask(old)
    assert mode(tmp_path / "deep") == 0o700
    assert mode(state) == 0o700
    files = [p for p in state.iterdir()]
    assert files, "nothing was written"
    for path in files:
        assert mode(path) == 0o600, path
    assert {p.name for p in files} <= {"secrets.json", "secret.key"}


def test_loose_key_file_is_tightened(tmp_path: Path) -> None:
    keyfile_vault(tmp_path).set("imap", PLAIN)
    os.chmod(tmp_path / "secret.key", 0o644)
    assert keyfile_vault(tmp_path).get("imap") == PLAIN
    assert mode(tmp_path / "secret.key") == 0o600


@pytest.mark.parametrize("source", ["passphrase", "keyfile", "keyring"])
def test_plaintext_never_on_disk(tmp_path: Path, source: str, installed_keyring) -> None:
    state = tmp_path / "state"
    if source == "passphrase":
        vault = passphrase_vault(state)
    elif source == "keyfile":
        vault = keyfile_vault(state)
    else:
        installed_keyring(MemoryKeyring())
        vault = Vault(state, env={})
    vault.set("imap", PLAIN)
    vault.set("smtp", PLAIN_SMTP)
    vault.set("imap", PLAIN + "!")  # and a replacement
    blob = all_bytes_under(state)
    assert blob  # the check below must have something to look at
    for secret in (PLAIN, PLAIN + "!", PLAIN_SMTP):
        for encoded in (secret.encode("utf-8"), base64.b64encode(secret.encode("utf-8"))):
            assert encoded not in blob
    assert b"open sesame" not in blob


def test_second_secret_preserves_the_first(tmp_path: Path) -> None:
    vault = keyfile_vault(tmp_path)
    vault.set("imap", PLAIN)
    before = json.loads((tmp_path / "secrets.json").read_text())["imap"]
    vault.set("smtp", PLAIN_SMTP)
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert stored["imap"] == before
    assert set(stored) == {"imap", "smtp"}
    assert vault.get("imap") == PLAIN
    assert vault.get("smtp") == PLAIN_SMTP


def test_secrets_json_is_replaced_atomically(tmp_path: Path, monkeypatch) -> None:
    """A failed write leaves the previous secrets.json whole, and no temp files."""
    vault = keyfile_vault(tmp_path)
    vault.set("imap", PLAIN)
    before = (tmp_path / "secrets.json").read_bytes()

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(SecretError, match="cannot write .*secrets.json"):
        vault.set("smtp", PLAIN_SMTP)
    monkeypatch.undo()
    assert (tmp_path / "secrets.json").read_bytes() == before
    assert vault.get("imap") == PLAIN
    assert vault.get("smtp") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.key", "secrets.json"]


def test_get_missing_and_delete(tmp_path: Path) -> None:
    vault = keyfile_vault(tmp_path)
    assert vault.get("imap") is None
    assert not tmp_path.joinpath("secrets.json").exists()
    vault.set("imap", PLAIN)
    vault.set("smtp", PLAIN_SMTP)
    assert vault.names() == ["imap", "smtp"]
    assert vault.delete("imap") is True
    assert vault.delete("imap") is False
    assert vault.get("imap") is None
    assert vault.get("smtp") == PLAIN_SMTP
    assert PLAIN.encode() not in all_bytes_under(tmp_path)


def test_overwrite(tmp_path: Path) -> None:
    vault = keyfile_vault(tmp_path)
    vault.set("imap", "first")
    vault.set("imap", "second")
    assert vault.get("imap") == "second"


@pytest.mark.parametrize("name", ["", "IMAP", "../x", "a b", 3])
def test_bad_names(tmp_path: Path, name) -> None:
    with pytest.raises(SecretError):
        keyfile_vault(tmp_path).set(name, PLAIN)


def test_empty_plaintext_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="empty"):
        keyfile_vault(tmp_path).set("imap", "")


def test_repr_and_messages_hold_no_secrets(tmp_path: Path) -> None:
    vault = passphrase_vault(tmp_path, "open sesame")
    vault.set("imap", PLAIN)
    assert "open sesame" not in repr(vault)
    assert PLAIN not in repr(vault)
    with pytest.raises(SecretError) as caught:
        passphrase_vault(tmp_path, "open sesame?").get("imap")
    text = str(caught.value) + repr(caught.value)
    for secret in ("open sesame", PLAIN):
        assert secret not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_scrypt_parameters(tmp_path: Path, monkeypatch) -> None:
    from cryptography.hazmat.primitives.kdf import scrypt

    seen: dict = {}
    real = scrypt.Scrypt

    def spy(**kwargs):
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(scrypt, "Scrypt", spy)  # the vault imports it when it first needs it
    passphrase_vault(tmp_path).set("imap", PLAIN)
    assert (seen["n"], seen["r"], seen["p"], seen["length"]) == (2**15, 8, 1, 32)


def test_a_key_is_derived_once_per_passphrase_and_salt(tmp_path: Path, monkeypatch) -> None:
    from cryptography.hazmat.primitives.kdf import scrypt

    derived = []
    real = scrypt.Scrypt

    def counting(**kwargs):
        derived.append(kwargs["salt"])
        return real(**kwargs)

    monkeypatch.setattr(scrypt, "Scrypt", counting)
    env = {"KIZUNA_PASSPHRASE": "open sesame"}
    vault = Vault(tmp_path, use_keyring=False, env=env)
    vault.set("imap", PLAIN)
    assert [vault.get("imap") for _ in range(3)] == [PLAIN] * 3
    assert len(derived) == len(set(derived))  # each salt once, however many logins
    env["KIZUNA_PASSPHRASE"] = "wrong"  # a changed passphrase is not served from memory
    with pytest.raises(SecretError):
        vault.get("imap")


# -- read_secret_from ------------------------------------------------------------


def test_read_secret_from_pipe() -> None:
    assert read_secret_from(io.StringIO("s3cret\n"), prompt=True) == "s3cret"
    assert read_secret_from(io.StringIO("s3cret\r\nnext line\n"), prompt=False) == "s3cret"
    assert read_secret_from(io.StringIO("no newline"), prompt=False) == "no newline"
    assert read_secret_from(io.StringIO(" spaced \n"), prompt=False) == " spaced "


@pytest.mark.parametrize("text", ["", "\n", "\r\n"])
def test_read_secret_from_empty(text: str) -> None:
    with pytest.raises(SecretError):
        read_secret_from(io.StringIO(text), prompt=False)


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_read_secret_from_tty_uses_getpass(monkeypatch) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "Password: ", stream=None) -> str:
        prompts.append(prompt)
        return "typed"

    monkeypatch.setattr(vault_module.getpass, "getpass", fake_getpass)
    stream = FakeTTY("not this\n")
    assert read_secret_from(stream, prompt=True) == "typed"
    assert prompts and "assword" in prompts[0]
    assert stream.read() == "not this\n"  # the stream itself was not read

    monkeypatch.setattr(vault_module.getpass, "getpass", lambda *a, **k: "")
    with pytest.raises(SecretError):
        read_secret_from(FakeTTY(""), prompt=True)
