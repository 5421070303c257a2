"""The Drafts folder: finding (or creating) it, saving a draft, and listing Kizuna's drafts there.

Kizuna's drafts carry an ``X-Kizuna-Id`` header naming their reconnection;
that header, not the state, says which drafts are really in Drafts.
"""

from __future__ import annotations

import logging

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from worker.errors import FolderError
from worker.mail.folders import personal_name, plan_folders
from worker.mail.imap import (
    create_folder,
    describe_imap_error,
    examined,
    fetch_item,
    personal_namespace,
    server_text,
)

__all__ = ["drafts_folder", "append_draft", "kizuna_drafts_on_server", "fetch_headers_of"]

log = logging.getLogger(__name__)

_KIZUNA_ID = b"BODY[HEADER.FIELDS (X-KIZUNA-ID)]"


def drafts_folder(client: imapclient.IMAPClient) -> str:
    """The Drafts folder by SPECIAL-USE or name; created when truly absent.

    A new one is made in the personal namespace with the server's separator
    (``INBOX.Drafts`` on Courier and Cyrus, where a top-level ``Drafts`` is
    refused), flagged ``\\Drafts`` where the server offers CREATE-SPECIAL-USE.
    Without NAMESPACE, a refused top-level ``Drafts`` is tried under INBOX.
    """
    try:
        plan = plan_folders(client.list_folders())
        if plan.drafts:
            return plan.drafts
        prefix, separator = personal_namespace(client)
    except (IMAPClientError, OSError) as exc:
        raise FolderError(f"cannot list the folders: {describe_imap_error(exc)}") from None
    names = [personal_name("Drafts", prefix, separator)]
    if not prefix and separator and not client.has_capability("NAMESPACE"):
        names.append(personal_name("Drafts", "INBOX", separator))
    refusals = []
    for name in names:
        try:
            create_folder(client, name, special_use=b"\\Drafts")
        except (IMAPClientAbortError, OSError) as exc:
            raise FolderError(
                f"cannot create {name}: {describe_imap_error(exc)}", folder=name
            ) from None
        except IMAPClientError as exc:
            if client.folder_exists(name):
                return name  # made meanwhile, by the user's mail client say
            refusals.append(f"{name}: {server_text(exc)}")
            continue
        log.info("event=drafts_created folder=%s", name)
        return name
    raise FolderError(
        "there is no Drafts folder and the server refused to create one ("
        + "; ".join(refusals)
        + ")",
        folder=names[0],
    )


def append_draft(client: imapclient.IMAPClient, folder: str, raw: bytes) -> None:
    """APPEND with ``\\Draft`` (and ``\\Seen``: the user's own text is not unread mail)."""
    try:
        client.append(folder, raw, flags=(b"\\Draft", b"\\Seen"))
    except (IMAPClientError, OSError) as exc:
        raise FolderError(
            f"cannot save the draft into {folder}: {describe_imap_error(exc)}", folder=folder
        ) from None


def kizuna_drafts_on_server(client: imapclient.IMAPClient, folder: str) -> dict[str, int]:
    """``X-Kizuna-Id`` -> UID of every Kizuna draft in the Drafts folder."""
    found: dict[str, int] = {}
    try:
        with examined(client, folder):
            uids = client.search(["HEADER", "X-Kizuna-Id", ""])
            for start in range(0, len(uids), 500):
                chunk = uids[start : start + 500]
                fetched = client.fetch(chunk, ["BODY.PEEK[HEADER.FIELDS (X-KIZUNA-ID)]"])
                for uid, data in fetched.items():
                    raw = fetch_item(data, _KIZUNA_ID)
                    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
                    for line in text.splitlines():
                        name, _, value = line.partition(":")
                        if name.strip().lower() == "x-kizuna-id" and value.strip():
                            found[value.strip()] = uid
    except (IMAPClientError, OSError) as exc:
        # Never a partial answer: the caller would take a missing draft for a declined one.
        raise FolderError(
            f"cannot read {folder}: {describe_imap_error(exc)}", folder=folder
        ) from None
    return found


def fetch_headers_of(client: imapclient.IMAPClient, folder: str, uid: int) -> bytes:
    """The whole header of one message, read without setting ``\\Seen``."""
    try:
        with examined(client, folder):
            data = client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid, {})
    except (IMAPClientError, OSError) as exc:
        raise FolderError(
            f"cannot read {folder}: {describe_imap_error(exc)}", folder=folder
        ) from None
    raw = fetch_item(data, b"BODY[HEADER]")
    return raw if isinstance(raw, bytes) else b""
