"""The social tables (worker.store.social), the names query, and role_line, on real SQLite files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.test_store import ME, add, msg
from worker.model import SocialSource
from worker.social.drafting import role_line
from worker.store import Store
from worker.store.social import Link, SocialPerson, safe_profile_url

LI, FB = SocialSource.LINKEDIN, SocialSource.FACEBOOK


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "state" / "state.db")
    try:
        yield s
    finally:
        s.close()


def person(identity: str, source: SocialSource = LI, **fields: object) -> SocialPerson:
    values: dict[str, object] = {"name": identity.title(), **fields}
    return SocialPerson(source, f"{source}:{identity}", **values)  # type: ignore[arg-type]


def test_replace_upserts_deletes_the_missing_and_never_duplicates(store: Store) -> None:
    first = [
        person("jane", organization="Globex", contact_email="jane@example.com"),
        person("john", organization="Acme"),
        person("ann"),
    ]
    record = store.social.replace(LI, first, as_of=date(2024, 3, 1))
    assert record.counts == {"people": 3, "matched": 1, "unmatched": 2}
    store.social.replace(FB, [person("zoe", FB)], as_of=None)

    again = [
        person("jane", organization="Initech", contact_email="jane@example.com"),
        person("john", organization="Acme", contact_email="john@example.com"),
    ]
    record = store.social.replace(LI, again, as_of=date(2025, 3, 1))
    assert record.counts == {"people": 2, "matched": 2, "unmatched": 0}
    rows = {p.identity: p for p in store.social.people(LI)}
    assert set(rows) == {"linkedin:jane", "linkedin:john"}  # ann left the export: gone
    assert rows["linkedin:jane"].organization == "Initech"
    assert len(store.query("SELECT * FROM social_people")) == 3  # facebook's zoe untouched
    assert [p.name for p in store.social.people(FB)] == ["Zoe"]
    assert store.social.last_import(LI) is not None
    assert store.social.last_import(LI).as_of == date(2025, 3, 1)  # type: ignore[union-attr]


def test_replace_keeps_a_role_change_date_until_another_change(store: Store) -> None:
    store.social.replace(LI, [person("jane", organization="Globex")], as_of=date(2024, 1, 1))
    store.social.replace(
        LI,
        [person("jane", organization="Initech", role_changed_on=date(2025, 1, 1))],
        as_of=date(2025, 1, 1),
    )
    store.social.replace(LI, [person("jane", organization="Initech")], as_of=date(2025, 6, 1))
    assert store.social.people(LI)[0].role_changed_on == date(2025, 1, 1)


def test_replace_refuses_two_people_with_one_identity(store: Store) -> None:
    with pytest.raises(ValueError, match="identity"):
        store.social.replace(LI, [person("jane"), person("jane")], as_of=None)
    with pytest.raises(ValueError, match="linkedin"):
        store.social.replace(LI, [person("zoe", FB)], as_of=None)
    assert store.social.people() == []


def test_matched_unmatched_and_by_contact(store: Store) -> None:
    store.social.replace(
        LI,
        [
            person("jane", contact_email="jane@example.com", organization="Globex"),
            person("john", candidates=("a@x.example", "b@y.example")),
        ],
        as_of=None,
    )
    store.social.replace(FB, [person("jane", FB, contact_email="jane@example.com")], as_of=None)
    assert store.social.unmatched_count() == 1
    (john,) = store.social.people(matched=False)
    assert john.ambiguous and john.candidates == ("a@x.example", "b@y.example")
    grouped = store.social.by_contact()
    assert [p.source for p in grouped["jane@example.com"]] == [LI, FB]  # LinkedIn first
    assert [p.source for p in store.social.for_contact("JANE@example.com")] == [LI, FB]


def test_relink_changes_only_what_differs_and_keeps_counts_true(store: Store) -> None:
    store.social.replace(LI, [person("jane"), person("john")], as_of=None)
    links = {"linkedin:jane": Link("jane@example.com"), "linkedin:john": Link(None)}
    assert store.social.relink(links) == 1
    assert store.social.relink(links) == 0
    record = store.social.last_import(LI)
    assert record is not None and record.counts == {"people": 2, "matched": 1, "unmatched": 1}
    assert store.social.people(matched=True)[0].contact_email == "jane@example.com"


def test_forget_deletes_one_source_and_scrubs_the_file(store: Store) -> None:
    marker = "Quixotically Unforgettable"
    store.social.replace(
        LI, [person("jane", organization=marker, url="https://www.linkedin.com/in/qu")], as_of=None
    )
    store.social.replace(FB, [person("zoe", FB)], as_of=None)
    assert store.social.forget(LI) == 1
    assert store.social.people(LI) == [] and store.social.last_import(LI) is None
    assert [p.name for p in store.social.people()] == ["Zoe"]
    files = [store.path, Path(f"{store.path}-wal")]
    data = b"".join(f.read_bytes() for f in files if f.exists())
    assert marker.encode() not in data  # not left in free pages or the log
    assert store.social.forget(LI) == 0


def test_contact_names_collects_every_name_of_qualifying_mail(store: Store) -> None:
    day = datetime(2020, 1, 1, tzinfo=UTC)
    add(
        store,
        "INBOX",
        msg("jane@example.com", "me@example.com", date=day, name="Jane Doe"),
        msg("jane@example.com", "me@example.com", date=day, name="DOE Jane (Globex)"),
        msg("list@example.com", "me@example.com", date=day, name="A List", automated="list-id"),
        msg("bob@example.com", "me@example.com", date=day, name="Bob Only-Received"),
    )
    add(
        store,
        "Sent",
        msg(
            "me@example.com",
            "jane@example.com",
            "carl@example.com",
            date=day,
            rcpt_names={"jane@example.com": "Janie"},
        ),
        msg("me@example.com", "list@example.com", date=day),
        msg("carl@example.com", "me@example.com", date=day),
    )
    names = store.contact_names(ME, 20)
    assert names == {"jane@example.com": {"Jane Doe", "DOE Jane (Globex)", "Janie"},
                     "carl@example.com": set()}  # fmt: skip


def test_safe_profile_url_allows_linkedin_only() -> None:
    assert (
        safe_profile_url(" https://www.linkedin.com/in/jane ") == "https://www.linkedin.com/in/jane"
    )
    assert safe_profile_url("http://linkedin.com/in/x") == "https://linkedin.com/in/x"
    for bad in ("javascript:alert(1)", "https://evil.example/linkedin.com/", "", None,
                "https://www.linkedin.com.evil.example/in/x", 'https://linkedin.com/"><x'):  # fmt: skip
        assert safe_profile_url(bad) is None, bad


# --- role_line -------------------------------------------------------------------


def _jane(store: Store, as_of: date | None, **fields: object) -> None:
    values: dict[str, object] = {
        "contact_email": "jane@example.com",
        "organization": "Globex",
        "position": "Head of Design",
        **fields,
    }
    store.social.replace(LI, [person("jane", **values)], as_of=as_of)


def test_role_line_follows_the_exports_age(store: Store) -> None:
    today = date(2025, 9, 1)
    _jane(store, date(2025, 3, 1))
    assert (
        role_line(store, "jane@example.com", "en", today=today)
        == "I saw on LinkedIn that you're Head of Design at Globex these days."
    )
    assert role_line(store, "jane@example.com", "ja", today=today) == (
        "現在はGlobexでHead of Designをされていると、LinkedInで拝見しました。"
    )
    _jane(store, date(2023, 3, 1))
    assert (
        role_line(store, "jane@example.com", "en", today=today)
        == "Last I saw on LinkedIn, you were Head of Design at Globex."
    )
    _jane(store, date(2020, 3, 1))
    assert role_line(store, "jane@example.com", "en", today=today) is None
    _jane(store, None)  # undated: treated as stale
    assert role_line(store, "jane@example.com", "en", today=today) is None


def test_role_line_congratulates_only_a_recent_change(store: Store) -> None:
    _jane(store, date(2025, 3, 1), role_changed_on=date(2025, 3, 1))
    assert role_line(store, "jane@example.com", "en", today=date(2025, 9, 1)) == (
        "I saw on LinkedIn that you're now Head of Design at Globex — congratulations!"
    )
    ja = role_line(store, "jane@example.com", "ja", today=date(2025, 9, 1))
    assert ja is not None and ja.endswith("新しいお仕事、おめでとうございます。")
    later = role_line(store, "jane@example.com", "en", today=date(2026, 6, 1))
    assert later is not None and "congratulations" not in later


def test_role_line_is_none_without_a_linkedin_match_or_company(store: Store) -> None:
    today = date(2025, 9, 1)
    assert role_line(store, "jane@example.com", "en", today=today) is None
    store.social.replace(
        FB, [person("jane", FB, contact_email="jane@example.com")], as_of=date(2025, 8, 1)
    )
    assert role_line(store, "jane@example.com", "en", today=today) is None
    _jane(store, date(2025, 8, 1), organization=None)
    assert role_line(store, "jane@example.com", "en", today=today) is None
    assert role_line(store, "someone@else.example", "en", today=today) is None
    with pytest.raises(ValueError):
        role_line(store, "jane@example.com", "fr", today=today)


# --- the page --------------------------------------------------------------------


def test_the_page_shows_the_section_only_with_people_to_list() -> None:
    from worker.web import page

    assert 'id="social"' not in page.render("page.html", **page.page_context([], [], "en"))
    people = [
        person("ann", name="Ann Lee", url="https://www.linkedin.com/in/annlee"),
        person("eve", name="Eve", url="javascript:alert(1)", candidates=("a@x.example",)),
    ]
    html = page.render("page.html", **page.page_context([], [], "en", unmatched=people))
    assert 'id="social"' in html and "<details open>" in html
    assert html.count('class="profile"') == 1 and "javascript:" not in html
    assert "only one of them can be a@x.example" in html
    many = [person(f"p{i}") for i in range(page.SOCIAL_OPEN_UP_TO + 1)]
    folded = page.render("page.html", **page.page_context([], [], "ja", unmatched=many))
    assert "<details>" in folded and f"一覧を表示（{len(many)}人）" in folded
