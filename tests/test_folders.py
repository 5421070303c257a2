"""Which folders a scan reads (worker.folders), from LIST output alone.

Listings are what ``IMAPClient.list_folders()`` returns: ``(flags, delimiter, name)``
with bytes flags and delimiter and a str name.
"""

from __future__ import annotations

import pytest

from worker.mail.folders import NAMES, FolderPlan, plan_folders

LEAF = b"\\HasNoChildren"
PARENT = b"\\HasChildren"


def entry(name: str, *flags: bytes, delimiter: bytes | str | None = b"/") -> tuple:
    return ((LEAF, *flags), delimiter, name)


# --- SPECIAL-USE --------------------------------------------------------------------


DOVECOT = [
    ((LEAF,), b"/", "INBOX"),
    ((LEAF, b"\\Archive"), b"/", "Archive"),
    ((LEAF, b"\\Drafts"), b"/", "Drafts"),
    ((LEAF, b"\\Junk"), b"/", "Junk"),
    ((LEAF, b"\\Sent"), b"/", "Sent"),
    ((LEAF, b"\\Trash"), b"/", "Trash"),
]


def test_dovecot_special_use() -> None:
    plan = plan_folders(DOVECOT)
    assert plan == FolderPlan(
        scan=("INBOX", "Archive", "Sent"), drafts="Drafts", sent="Sent", all_mail=None
    )


def test_special_use_beats_names() -> None:
    listing = [
        entry("INBOX"),
        entry("Brouillon perso", b"\\Drafts"),
        entry("Outbox copies", b"\\Sent"),
        entry("Rubbish", b"\\Trash"),
        entry("Unwanted", b"\\Junk"),
        entry("Projects"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "Outbox copies", "Projects")
    assert plan.drafts == "Brouillon perso"
    assert plan.sent == "Outbox copies"


def test_special_use_flags_are_case_insensitive() -> None:
    listing = [
        entry("INBOX"),
        entry("Entw", b"\\DRAFTS"),
        entry("Bin2", b"\\trash"),
        entry("S", b"\\SENT"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "S")
    assert plan.drafts == "Entw"
    assert plan.sent == "S"


def test_str_flags_are_accepted() -> None:
    listing = [
        (("\\HasNoChildren",), "/", "INBOX"),
        (("\\Drafts",), "/", "Entwurf"),
        (("\\Sent",), "/", "Out"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "Out")
    assert plan.drafts == "Entwurf"


def test_special_use_role_names_take_precedence_over_name_guesses() -> None:
    # the server says "Entwurf" is Drafts; a folder named "Sent Items" without a
    # flag is still found as Sent by name
    listing = [entry("INBOX"), entry("Entwurf", b"\\Drafts"), entry("Drafts"), entry("Sent Items")]
    plan = plan_folders(listing)
    assert plan.drafts == "Entwurf"
    assert plan.sent == "Sent Items"
    assert "Entwurf" not in plan.scan


# --- by name --------------------------------------------------------------------------


def test_exchange_names_without_flags() -> None:
    listing = [
        entry("Archive"),
        entry("Sent Items"),
        entry("Deleted Items"),
        entry("Junk E-mail"),
        entry("Drafts"),
        entry("INBOX"),
        entry("Outbox"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "Archive", "Sent Items", "Outbox")
    assert plan.drafts == "Drafts"
    assert plan.sent == "Sent Items"
    assert plan.all_mail is None


def test_japanese_names_without_flags() -> None:
    listing = [
        entry("INBOX"),
        entry("下書き"),
        entry("ゴミ箱"),
        entry("迷惑メール"),
        entry("送信済み"),
        entry("仕事"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "送信済み", "仕事")
    assert plan.drafts == "下書き"
    assert plan.sent == "送信済み"


def test_german_names_without_flags() -> None:
    listing = [
        entry("INBOX"),
        entry("Gesendet"),
        entry("Papierkorb"),
        entry("Entwürfe"),
        entry("Spam"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "Gesendet")
    assert plan.drafts == "Entwürfe"
    assert plan.sent == "Gesendet"


@pytest.mark.parametrize(
    "name", ["drafts", "DRAFTS", "Trash", "TRASH", "junk", "SPAM", "Deleted Messages"]
)
def test_names_compare_case_insensitively(name: str) -> None:
    plan = plan_folders([entry("INBOX"), entry(name)])
    assert plan.scan == ("INBOX",)


def test_dot_delimited_inbox_children() -> None:
    listing = [
        entry("INBOX", delimiter=b"."),
        entry("INBOX.Drafts", delimiter=b"."),
        entry("INBOX.Sent", delimiter=b"."),
        entry("INBOX.Trash", delimiter=b"."),
        entry("INBOX.Junk", delimiter=b"."),
        entry("INBOX.Clients", delimiter=b"."),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "INBOX.Sent", "INBOX.Clients")
    assert plan.drafts == "INBOX.Drafts"
    assert plan.sent == "INBOX.Sent"


def test_slash_delimited_inbox_children() -> None:
    listing = [
        entry("INBOX"),
        entry("INBOX/Drafts"),
        entry("INBOX/Sent Messages"),
        entry("INBOX/Deleted Items"),
        entry("INBOX/Spam"),
        entry("INBOX/Family"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "INBOX/Sent Messages", "INBOX/Family")
    assert plan.drafts == "INBOX/Drafts"
    assert plan.sent == "INBOX/Sent Messages"


def test_str_delimiter_and_no_delimiter() -> None:
    assert plan_folders(
        [entry("INBOX", delimiter="."), entry("INBOX.Trash", delimiter=".")]
    ).scan == ("INBOX",)
    plan = plan_folders(
        [
            entry("Drafts", delimiter=None),
            entry("INBOX", delimiter=None),
            entry("Other", delimiter=None),
        ]
    )
    assert plan.scan == ("INBOX", "Other")
    assert plan.drafts == "Drafts"


def test_the_name_is_matched_only_as_a_whole_component() -> None:
    listing = [
        entry("INBOX"),
        entry("Trash talk"),
        entry("Old Drafts of Novel"),
        entry("Spammers/Evidence"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("INBOX", "Trash talk", "Old Drafts of Novel", "Spammers/Evidence")
    assert plan.drafts is None


def test_no_role_folders_at_all() -> None:
    plan = plan_folders([entry("INBOX"), entry("Work")])
    assert plan == FolderPlan(("INBOX", "Work"), None, None, None)


def test_names_table_is_lower_case() -> None:
    for role, names in NAMES.items():
        for name in names:
            assert name == name.casefold(), (role, name)


# --- Gmail ------------------------------------------------------------------------------


GMAIL = [
    ((LEAF,), b"/", "INBOX"),
    ((PARENT, b"\\Noselect"), b"/", "[Gmail]"),
    ((LEAF, b"\\All"), b"/", "[Gmail]/All Mail"),
    ((LEAF, b"\\Drafts"), b"/", "[Gmail]/Drafts"),
    ((LEAF, b"\\Important"), b"/", "[Gmail]/Important"),
    ((LEAF, b"\\Sent"), b"/", "[Gmail]/Sent Mail"),
    ((LEAF, b"\\Junk"), b"/", "[Gmail]/Spam"),
    ((LEAF, b"\\Flagged"), b"/", "[Gmail]/Starred"),
    ((LEAF, b"\\Trash"), b"/", "[Gmail]/Trash"),
    ((LEAF,), b"/", "Work"),
    ((LEAF,), b"/", "Family"),
]


def test_gmail_scans_all_mail_only() -> None:
    plan = plan_folders(GMAIL)
    assert plan.scan == ("[Gmail]/All Mail",)
    assert plan.all_mail == "[Gmail]/All Mail"
    assert plan.drafts == "[Gmail]/Drafts"
    assert plan.sent == "[Gmail]/Sent Mail"


def test_gmail_localised() -> None:
    listing = [
        ((LEAF,), b"/", "INBOX"),
        ((PARENT, b"\\Noselect"), b"/", "[Google Mail]"),
        ((LEAF, b"\\All"), b"/", "[Google Mail]/Alle Nachrichten"),
        ((LEAF, b"\\Drafts"), b"/", "[Google Mail]/Entwürfe"),
        ((LEAF, b"\\Sent"), b"/", "[Google Mail]/Gesendet"),
    ]
    plan = plan_folders(listing)
    assert plan.scan == ("[Google Mail]/Alle Nachrichten",)
    assert plan.drafts == "[Google Mail]/Entwürfe"
    assert plan.sent == "[Google Mail]/Gesendet"


# --- \Noselect, order ----------------------------------------------------------------------


def test_noselect_and_nonexistent_are_skipped() -> None:
    listing = [
        ((PARENT, b"\\Noselect"), b"/", "Archive"),
        ((LEAF,), b"/", "Archive/2019"),
        ((LEAF, b"\\NonExistent"), b"/", "Ghost"),
        ((LEAF,), b"/", "INBOX"),
    ]
    assert plan_folders(listing).scan == ("INBOX", "Archive/2019")


def test_noselect_folder_is_not_a_role_by_name() -> None:
    listing = [((PARENT, b"\\Noselect"), b"/", "Drafts"), entry("INBOX"), entry("Entwürfe")]
    plan = plan_folders(listing)
    assert plan.drafts == "Entwürfe"


def test_inbox_first_then_server_order() -> None:
    listing = [entry("Zeta"), entry("Alpha"), entry("INBOX"), entry("Mid"), entry("Sent")]
    assert plan_folders(listing).scan == ("INBOX", "Zeta", "Alpha", "Mid", "Sent")


def test_inbox_first_whatever_its_case() -> None:
    assert plan_folders([entry("Work"), entry("Inbox")]).scan == ("Inbox", "Work")


def test_empty_listing() -> None:
    assert plan_folders([]) == FolderPlan((), None, None, None)


def test_accepts_any_iterable() -> None:
    plan = plan_folders(iter(DOVECOT))
    assert plan.scan == ("INBOX", "Archive", "Sent")
