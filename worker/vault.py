"""Secrets at rest: the IMAP and SMTP passwords, encrypted.

This module is long because its three key sources (passphrase, keyring, key
file) and their failure modes belong together: splitting them would scatter
one security decision across files.

``kizuna secret set [--smtp]`` stores a password here so the config may
leave ``password`` out. Each secret is encrypted with AES-256-GCM (an
authenticated scheme: a wrong key or an altered file is detected, never
decrypted to garbage) and kept in ``<state_dir>/secrets.json`` (mode 0600,
replaced atomically)::

    {"imap": {"scheme": "keyfile-aesgcm", "salt": null, "token": "<base64>"}}

The key comes from the first of these that applies:

1. ``KIZUNA_PASSPHRASE`` in the environment: a key derived with scrypt
   (n=2**15, r=8, p=1) from the passphrase and a random salt kept beside
   each token (scheme ``scrypt-aesgcm``).
2. The OS keyring, when a real backend is available: a random key stored
   under service ``kizuna``, user name the state directory
   (scheme ``keyring-aesgcm``).
3. A key file ``<state_dir>/secret.key`` (mode 0600), created on first use
   (scheme ``keyfile-aesgcm``).

The scheme recorded with each secret says which source encrypted it, so a
secret read under another source fails with a message saying what to do.
No message, log line or ``repr`` ever contains a plaintext or a key.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import json
import os
import re
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from worker.errors import SecretError
from worker.fsutil import ensure_private_file, private_dir, write_private

__all__ = [
    "Vault",
    "read_secret_from",
    "PASSPHRASE_ENV",
    "KEYRING_SERVICE",
    "SECRETS_FILE",
    "KEY_FILE",
]

PASSPHRASE_ENV = "KIZUNA_PASSPHRASE"
KEYRING_SERVICE = "kizuna"
SECRETS_FILE = "secrets.json"
KEY_FILE = "secret.key"

SCHEME_PASSPHRASE = "scrypt-aesgcm"
SCHEME_KEYRING = "keyring-aesgcm"
SCHEME_KEYFILE = "keyfile-aesgcm"

# scrypt cost: 2**15 * 8 * 128 bytes = 32 MiB and about 0.1 s per derivation.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1

_KEY_BYTES = 32
_SALT_BYTES = 16
_NONCE_BYTES = 12
_NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,31}")

_SOURCE_OF_SCHEME = {
    SCHEME_PASSPHRASE: "passphrase",
    SCHEME_KEYRING: "keyring",
    SCHEME_KEYFILE: "keyfile",
}


class Vault:
    """Encrypted secrets kept in a state directory.

    ``env`` defaults to :data:`os.environ` (read at each call, so a
    passphrase set later is seen); ``use_keyring=False`` skips the OS
    keyring and goes straight to the key file.

    >>> import tempfile
    >>> vault = Vault(Path(tempfile.mkdtemp()), use_keyring=False)
    >>> vault.set("imap", "hunter2")
    >>> vault.get("imap")
    'hunter2'
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        use_keyring: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.state_dir = Path(state_dir).expanduser().resolve()
        self.use_keyring = use_keyring
        self._env = env
        self._lock = threading.Lock()
        # scrypt costs ~0.1 s and 32 MiB; a daemon logs in every cycle, so keep
        # what each (passphrase, salt) derived. A changed passphrase derives anew.
        self._derived: dict[tuple[bytes, bytes], bytes] = {}

    def __repr__(self) -> str:
        return f"Vault({str(self.state_dir)!r}, use_keyring={self.use_keyring!r})"

    @property
    def secrets_path(self) -> Path:
        """``<state_dir>/secrets.json``."""
        return self.state_dir / SECRETS_FILE

    @property
    def key_path(self) -> Path:
        """``<state_dir>/secret.key`` (used only when no other key source applies)."""
        return self.state_dir / KEY_FILE

    # -- public API ---------------------------------------------------------

    def describe(self) -> str:
        """Where the key lives, for messages: passphrase, OS keyring or key file."""
        source = self._source()
        if source == "passphrase":
            return f"passphrase ({PASSPHRASE_ENV})"
        if source == "keyring":
            return "OS keyring"
        return f"key file {self.key_path}"

    def set(self, name: str, plaintext: str) -> None:
        """Encrypt ``plaintext`` under the current key source and store it as ``name``."""
        _check_name(name)
        if not isinstance(plaintext, str) or not plaintext:
            raise SecretError(f"refusing to store an empty {_what(name)}")
        with self._lock:
            source = self._source()
            entry = self._encrypt(name, plaintext.encode("utf-8"), source)
            self._ensure_dir()
            stored = self._load()
            stored[name] = entry
            self._save(stored)

    def get(self, name: str) -> str | None:
        """The plaintext stored as ``name``, or None when there is none.

        Raises :class:`SecretError` when it cannot be decrypted (another key
        source, a wrong passphrase, a lost key, an altered file).
        """
        _check_name(name)
        with self._lock:
            entry = self._load().get(name)
        if entry is None:
            return None
        plaintext = self._decrypt(name, entry)
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretError(f"the stored {_what(name)} is not valid UTF-8") from None

    def delete(self, name: str) -> bool:
        """Forget the secret ``name``; return whether there was one."""
        _check_name(name)
        with self._lock:
            stored = self._load()
            if name not in stored:
                return False
            del stored[name]
            self._save(stored)
            return True

    def names(self) -> list[str]:
        """Names of the stored secrets, sorted."""
        with self._lock:
            return sorted(self._load())

    # -- key sources --------------------------------------------------------

    def _environ(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def _source(self) -> str:
        if self._environ().get(PASSPHRASE_ENV) is not None:
            return "passphrase"
        if self.use_keyring and _keyring_backend() is not None:
            return "keyring"
        return "keyfile"

    def _passphrase(self) -> bytes:
        value = self._environ().get(PASSPHRASE_ENV)
        if value is None:
            raise SecretError(f"{PASSPHRASE_ENV} is not set")
        if not value:
            raise SecretError(
                f"{PASSPHRASE_ENV} is set but empty: set it to your passphrase, or unset it "
                "to use the OS keyring or a key file"
            )
        return value.encode("utf-8")

    def _derive(self, salt: bytes) -> bytes:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        passphrase = self._passphrase()
        key = self._derived.get((passphrase, salt))
        if key is None:
            kdf = Scrypt(salt=salt, length=_KEY_BYTES, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
            key = self._derived[passphrase, salt] = kdf.derive(passphrase)
        return key

    def _keyring_key(self, *, create: bool) -> bytes | None:
        backend = _keyring_backend()
        if backend is None:
            raise SecretError("the OS keyring is no longer available")
        user = str(self.state_dir)
        stored = _keyring_call(
            backend, "read the key from", backend.get_password, KEYRING_SERVICE, user
        )
        if stored is None:
            if not create:
                return None
            fresh = _b64(secrets.token_bytes(_KEY_BYTES))
            _keyring_call(
                backend,
                "store a key in",
                backend.set_password,
                KEYRING_SERVICE,
                user,
                fresh,
                redact=fresh,
            )
            # Read back: if another process stored a key at the same moment,
            # use the one that won.
            stored = _keyring_call(
                backend, "read the key from", backend.get_password, KEYRING_SERVICE, user
            )
            if stored is None:
                raise SecretError(
                    f"the OS keyring ({type(backend).__name__}) did not keep the key Kizuna stored in it"
                )
        key = _unb64(stored)
        if key is None or len(key) != _KEY_BYTES:
            raise SecretError(
                f"the OS keyring entry {KEYRING_SERVICE}/{user} is not a Kizuna key: "
                "delete it and store your passwords again with `kizuna secret set`"
            )
        return key

    def _keyfile_key(self, *, create: bool) -> bytes | None:
        path = self.key_path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            if not create:
                return None
            self._ensure_dir()
            try:
                write_private(
                    path,
                    _b64(secrets.token_bytes(_KEY_BYTES)).encode("ascii") + b"\n",
                    overwrite=False,
                )
            except FileExistsError:
                pass  # another process created it first: use theirs
            except OSError as exc:
                raise SecretError(
                    f"cannot create the key file {path}: {exc.strerror or exc}"
                ) from None
            return self._keyfile_key(create=False)
        except OSError as exc:
            raise SecretError(f"cannot read the key file {path}: {exc.strerror or exc}") from None
        try:
            ensure_private_file(path)
        except OSError as exc:
            raise SecretError(
                f"cannot make the key file {path} private (mode 0600): {exc.strerror or exc}"
            ) from None
        key = _unb64(raw.decode("ascii", errors="replace").strip())
        if key is None or len(key) != _KEY_BYTES:
            raise SecretError(
                f"the key file {path} is damaged: remove it and store your passwords again "
                "with `kizuna secret set`"
            )
        return key

    # -- encryption ---------------------------------------------------------

    def _encrypt(self, name: str, plaintext: bytes, source: str) -> dict[str, Any]:
        salt: bytes | None = None
        key: bytes | None
        if source == "passphrase":
            scheme = SCHEME_PASSPHRASE
            salt = secrets.token_bytes(_SALT_BYTES)
            key = self._derive(salt)
        elif source == "keyring":
            scheme = SCHEME_KEYRING
            key = self._keyring_key(create=True)
        else:
            scheme = SCHEME_KEYFILE
            key = self._keyfile_key(create=True)
        if key is None:  # create=True always yields a key; this keeps mypy honest
            raise SecretError(f"no key available to encrypt the {_what(name)}")
        nonce = secrets.token_bytes(_NONCE_BYTES)
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        sealed = AESGCM(key).encrypt(nonce, plaintext, _aad(name, scheme))
        return {
            "scheme": scheme,
            "salt": _b64(salt) if salt is not None else None,
            "token": _b64(nonce + sealed),
        }

    def _decrypt(self, name: str, entry: Any) -> bytes:
        what = _what(name)
        if not isinstance(entry, dict):
            raise self._damaged(name)
        scheme = entry.get("scheme")
        stored_source = _SOURCE_OF_SCHEME.get(scheme) if isinstance(scheme, str) else None
        if stored_source is None or not isinstance(scheme, str):
            raise SecretError(
                f"the stored {what} uses an unknown scheme {scheme!r} "
                f"(in {self.secrets_path}): store it again with `kizuna secret set`"
            )
        current = self._source()
        if stored_source != current:
            raise SecretError(self._mismatch_message(name, stored_source, current))

        token = _unb64(entry.get("token"))
        if token is None or len(token) < _NONCE_BYTES + 16:
            raise self._damaged(name)
        if stored_source == "passphrase":
            salt = _unb64(entry.get("salt"))
            if salt is None or not salt:
                raise self._damaged(name)
            key = self._derive(salt)
        elif stored_source == "keyring":
            found = self._keyring_key(create=False)
            if found is None:
                raise SecretError(
                    f"cannot decrypt the stored {what}: the OS keyring holds no Kizuna key for "
                    f"{self.state_dir} (was it stored on another machine or account?); "
                    f"store it again with `{_command(name)}`"
                )
            key = found
        else:
            found = self._keyfile_key(create=False)
            if found is None:
                raise SecretError(
                    f"cannot decrypt the stored {what}: the key file {self.key_path} is missing; "
                    f"store it again with `{_command(name)}`"
                )
            key = found

        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            return AESGCM(key).decrypt(
                token[:_NONCE_BYTES], token[_NONCE_BYTES:], _aad(name, scheme)
            )
        except InvalidTag:
            raise SecretError(self._wrong_key_message(name, stored_source)) from None

    def _mismatch_message(self, name: str, stored: str, current: str) -> str:
        what = _what(name)
        labels = {
            "passphrase": f"a passphrase ({PASSPHRASE_ENV})",
            "keyring": "a key in the OS keyring",
            "keyfile": f"the key file {self.key_path}",
        }
        hints = {
            "passphrase": f"set {PASSPHRASE_ENV} to the passphrase used then",
            "keyring": (
                f"unset {PASSPHRASE_ENV} and run where the OS keyring is available"
                if current == "passphrase"
                else "run where the OS keyring that holds the key is available"
            ),
            "keyfile": (
                f"unset {PASSPHRASE_ENV}"
                if current == "passphrase"
                else "run with PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring"
            ),
        }
        return (
            f"cannot decrypt the stored {what}: it was encrypted with {labels[stored]}, "
            f"but the key now comes from {labels[current]}; {hints[stored]}, "
            f"or store it again with `{_command(name)}`"
        )

    def _wrong_key_message(self, name: str, source: str) -> str:
        what = _what(name)
        if source == "passphrase":
            cause = f"was it stored with a different {PASSPHRASE_ENV}?"
        elif source == "keyring":
            cause = "the key in the OS keyring has changed, or secrets.json was altered"
        else:
            cause = f"the key file {self.key_path} has changed, or secrets.json was altered"
        return f"cannot decrypt the stored {what}: {cause} (store it again with `{_command(name)}`)"

    def _damaged(self, name: str) -> SecretError:
        return SecretError(
            f"the stored {_what(name)} in {self.secrets_path} is damaged: "
            f"store it again with `{_command(name)}`"
        )

    # -- secrets.json -------------------------------------------------------

    def _ensure_dir(self) -> None:
        try:
            private_dir(self.state_dir)
        except OSError as exc:
            raise SecretError(
                f"cannot create the state directory {self.state_dir}: {exc.strerror or exc}"
            ) from None

    def _load(self) -> dict[str, Any]:
        path = self.secrets_path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise SecretError(
                f"{path} is not valid JSON: restore it or remove it and store your passwords again"
            ) from None
        if not isinstance(data, dict):
            raise SecretError(f"{path} does not hold a JSON object of secrets")
        return data

    def _save(self, stored: Mapping[str, Any]) -> None:
        data = json.dumps(stored, indent=2, sort_keys=True).encode("utf-8") + b"\n"
        try:
            write_private(self.secrets_path, data)
        except OSError as exc:
            raise SecretError(f"cannot write {self.secrets_path}: {exc.strerror or exc}") from None


def read_secret_from(stream: IO[str], prompt: bool, *, label: str = "Password") -> str:
    """Read one secret from ``stream``, as ``kizuna secret set`` does.

    On a terminal (and when ``prompt`` is true) it asks with
    :func:`getpass.getpass`, without echo; otherwise it reads one line and
    drops the line ending (other whitespace is kept: it may be part of the
    password). An empty secret raises :class:`SecretError`.

    >>> import io
    >>> read_secret_from(io.StringIO("s3cret\\n"), prompt=False)
    's3cret'
    """
    isatty = getattr(stream, "isatty", None)
    if prompt and callable(isatty) and isatty():
        try:
            value = getpass.getpass(f"{label}: ")
        except EOFError:
            value = ""
    else:
        value = stream.readline()
        if value.endswith("\n"):
            value = value[:-1]
        if value.endswith("\r"):
            value = value[:-1]
    if not value:
        raise SecretError("no password given: an empty password cannot be stored")
    return value


# -- helpers -----------------------------------------------------------------


def _keyring_backend() -> Any | None:
    """The keyring backend if a real one is available, else None."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            return None
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return None
        return backend
    except Exception:  # noqa: BLE001 - keyring backends raise anything
        # A broken keyring installation is the same as none.
        return None


def _keyring_call(
    backend: Any, doing: str, func: Any, *args: str, redact: str | None = None
) -> Any:
    """Call a keyring backend method, turning any failure into :class:`SecretError`.

    Backends raise more than :class:`keyring.errors.KeyringError` (D-Bus and
    OS errors too), so everything is caught; ``redact`` (the key being
    stored) is scrubbed from the backend's message.
    """
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 - keyring backends raise anything; reported
        detail = str(exc)
        if redact and redact in detail:
            detail = detail.replace(redact, "***")
        detail = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        raise SecretError(
            f"cannot {doing} the OS keyring ({type(backend).__name__}): {detail} "
            f"(unlock the keyring, or set {PASSPHRASE_ENV} to use a passphrase instead)"
        ) from None


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise SecretError(f"bad secret name {name!r}: use lower-case letters, digits, - and _")


def _what(name: str) -> str:
    return f"{name} password" if name in ("imap", "smtp") else f"secret {name!r}"


def _command(name: str) -> str:
    return "kizuna secret set --smtp" if name == "smtp" else "kizuna secret set"


def _aad(name: str, scheme: str) -> bytes:
    # Binds each token to its name and scheme: moving the smtp token into the
    # imap slot, or relabelling its scheme, fails authentication.
    return f"kizuna-secret-v1\0{name}\0{scheme}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
