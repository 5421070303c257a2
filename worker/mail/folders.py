"""Which folders to scan, and where Drafts and Sent are: pure rules over a LIST.

SPECIAL-USE flags (RFC 6154) decide first; common and localised names are the
fallback for servers without them. Where the server offers an ``\\All``
folder (Gmail's All Mail), it alone is scanned: it holds every message once,
and label folders would only repeat it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["FolderPlan", "plan_folders", "NAMES", "personal_name"]

#: Fallback names by role, compared case-insensitively with the folder's last
#: path component and with its whole name.
NAMES: dict[str, frozenset[str]] = {
    "drafts": frozenset(
        {
            "drafts",
            "draft",
            "下書き",
            "草稿",
            "entwürfe",
            "brouillons",
            "borradores",
            "bozze",
            "concepten",
            "utkast",
            "rascunhos",
            "черновики",
            "[gmail]/drafts",
            "inbox/drafts",
        }
    ),
    "junk": frozenset(
        {
            "junk",
            "spam",
            "junk e-mail",
            "junk email",
            "junk mail",
            "bulk mail",
            "迷惑メール",
            "spam-verdacht",
            "courrier indésirable",
            "indésirables",
            "correo no deseado",
            "posta indesiderata",
            "ongewenste e-mail",
            "[gmail]/spam",
            "垃圾邮件",
            "спам",
        }
    ),
    "trash": frozenset(
        {
            "trash",
            "deleted items",
            "deleted messages",
            "bin",
            "papierkorb",
            "gelöschte elemente",
            "corbeille",
            "éléments supprimés",
            "papelera",
            "elementos eliminados",
            "cestino",
            "posta eliminata",
            "prullenbak",
            "verwijderde items",
            "ゴミ箱",
            "削除済みアイテム",
            "已删除邮件",
            "корзина",
            "[gmail]/trash",
            "[gmail]/bin",
        }
    ),
    "sent": frozenset(
        {
            "sent",
            "sent items",
            "sent messages",
            "sent mail",
            "送信済み",
            "送信済みアイテム",
            "送信済みメール",
            "gesendet",
            "gesendete elemente",
            "gesendete objekte",
            "envoyés",
            "éléments envoyés",
            "messages envoyés",
            "enviados",
            "elementos enviados",
            "inviata",
            "posta inviata",
            "verzonden items",
            "已发送",
            "отправленные",
            "[gmail]/sent mail",
        }
    ),
}

_SKIP_FLAGS = {b"\\drafts", b"\\junk", b"\\trash", b"\\noselect", b"\\nonexistent"}
_ROLE_FLAG = {"drafts": b"\\drafts", "sent": b"\\sent", "junk": b"\\junk", "trash": b"\\trash"}

Listing = tuple[Sequence[bytes], bytes | str | None, str]


@dataclass(frozen=True, slots=True)
class FolderPlan:
    """The outcome: folders to scan (in order) and the role folders found."""

    scan: tuple[str, ...]
    drafts: str | None
    sent: str | None
    all_mail: str | None


def _role_by_name(name: str, delimiter: str | None) -> str | None:
    whole = name.casefold()
    last = whole.rsplit(delimiter, 1)[-1] if delimiter else whole
    for role, names in NAMES.items():
        if whole in names or last in names:
            return role
    return None


def plan_folders(listing: Iterable[Listing]) -> FolderPlan:
    """Decide what to scan from ``IMAPClient.list_folders()`` output."""
    entries = []
    for flags, delimiter, name in listing:
        lowered = {f.lower() if isinstance(f, bytes) else str(f).lower().encode() for f in flags}
        delim = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
        entries.append((lowered, delim, name))

    def by_flag(flag: bytes) -> str | None:
        return next((name for flags, _, name in entries if flag in flags), None)

    roles: dict[str, str | None] = {}
    for role, flag in _ROLE_FLAG.items():
        roles[role] = by_flag(flag) or next(
            (
                name
                for flags, delim, name in entries
                if b"\\noselect" not in flags and _role_by_name(name, delim) == role
            ),
            None,
        )
    all_mail = by_flag(b"\\all")
    if all_mail:
        return FolderPlan((all_mail,), roles["drafts"], roles["sent"], all_mail)

    scan: list[str] = []
    for flag_set, delim, name in entries:
        if flag_set & _SKIP_FLAGS:
            continue
        if _role_by_name(name, delim) in ("drafts", "junk", "trash"):
            continue
        if name in (roles["drafts"], roles["junk"], roles["trash"]):
            continue
        scan.append(name)
    # INBOX first, then the rest in server order: replies are found soonest.
    scan.sort(key=lambda n: n.upper() != "INBOX")
    return FolderPlan(tuple(scan), roles["drafts"], roles["sent"], None)


def personal_name(name: str, prefix: str, separator: str | None) -> str:
    """A folder's full name in the account's personal namespace (RFC 2342).

    ``prefix`` and ``separator`` are what NAMESPACE says for the personal
    namespace. Courier and Cyrus (with Debian's defaults) keep every folder
    under ``INBOX.``; a top-level ``Drafts`` there is refused.

    >>> personal_name("Drafts", "INBOX.", ".")
    'INBOX.Drafts'
    >>> personal_name("Drafts", "", "/")
    'Drafts'
    >>> personal_name("Kizuna/Drafts", "INBOX.", ".")
    'INBOX.Kizuna.Drafts'
    >>> personal_name("Drafts", "INBOX", ".")
    'INBOX.Drafts'
    """
    if separator and separator != "/":
        name = name.replace("/", separator)
    if not prefix:
        return name
    if separator and not prefix.endswith(separator):
        prefix += separator
    return prefix + name
