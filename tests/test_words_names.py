"""Names: many real display-name shapes, in both languages, and how to address them."""

from __future__ import annotations

import pytest

from worker.words.names import (
    NameForm,
    PersonName,
    Script,
    english_address,
    is_romaji_word,
    japanese_address,
    parse_name,
)

# display name -> (family, given, organization, department)
SHAPES: list[tuple[str, str | None, str | None, str | None, str | None]] = [
    # Japanese, company and department prefixes and suffixes
    ("株式会社ABC 山田太郎", "山田", "太郎", "株式会社ABC", None),
    ("（株）ABC 山田 太郎", "山田", "太郎", "（株）ABC", None),
    ("(株)ABC　山田太郎", "山田", "太郎", "（株）ABC", None),
    ("㈱ABC 山田太郎", "山田", "太郎", "（株）ABC", None),
    ("ABC（株） 佐藤", "佐藤", None, "ABC（株）", None),
    ("山田太郎（ABC株式会社）", "山田", "太郎", "ABC株式会社", None),
    ("山田太郎 (ABC)", "山田", "太郎", "ABC", None),
    ("総務部 佐藤", "佐藤", None, None, "総務部"),
    ("ABC株式会社 営業部 佐藤花子", "佐藤", "花子", "ABC株式会社", "営業部"),
    ("株式会社 ABC 山田太郎", "山田", "太郎", "株式会社ABC", None),
    ("ABC 株式会社 山田太郎", "山田", "太郎", "ABC株式会社", None),
    ("ABC 山田太郎", "山田", "太郎", "ABC", None),
    ("ソニー 山田太郎", "山田", "太郎", "ソニー", None),
    ("山田太郎 / 株式会社ABC", "山田", "太郎", "株式会社ABC", None),
    ("合同会社XYZ 鈴木", "鈴木", None, "合同会社XYZ", None),
    ("(有)田中商店 田中一郎", "田中", "一郎", "（有）田中商店", None),
    ("ABC商事 田中", "田中", None, "ABC商事", None),
    ("田中一郎（営業部）", "田中", "一郎", None, "営業部"),
    ("人事担当 田中", "田中", None, None, "人事担当"),
    ("東京大学 鈴木一郎", "鈴木", "一郎", "東京大学", None),
    # Japanese, positions and honorifics already written
    ("山田部長", "山田", None, None, None),
    ("営業部長 山田", "山田", None, None, None),
    ("代表取締役 山田太郎", "山田", "太郎", None, None),
    ("山田様", "山田", None, None, None),
    ("田中 一郎 様", "田中", "一郎", None, None),
    ("鈴木さん", "鈴木", None, None, None),
    # Japanese, spaced and unspaced
    ("山田 太郎", "山田", "太郎", None, None),
    ("山田　太郎", "山田", "太郎", None, None),
    ("山田太郎", "山田", "太郎", None, None),
    ("長谷川太郎", "長谷川", "太郎", None, None),
    ("佐々木 健", "佐々木", "健", None, None),
    ("佐々木健", "佐々木", "健", None, None),
    ("森一郎", "森", "一郎", None, None),
    ("服部半蔵", "服部", "半蔵", None, None),
    ("阿部 太郎", "阿部", "太郎", None, None),
    ("阿部", "阿部", None, None, None),
    ("林", "林", None, None, None),
    ("山田", "山田", None, None, None),
    ("山田はなこ", "山田", "はなこ", None, None),
    ("黒澤明子", "黒澤", "明子", None, None),  # four kanji, no list entry: two and two
    ("ジョン・スミス", "スミス", "ジョン", None, None),
    ("山田太郎 (Taro Yamada)", "山田", "太郎", None, None),
    # Romaji
    ("YAMADA Taro", "Yamada", "Taro", None, None),
    ("Taro YAMADA", "Yamada", "Taro", None, None),
    ("Taro Yamada", "Yamada", "Taro", None, None),
    ("Yamada Taro", "Yamada", "Taro", None, None),
    ("Yamada, Taro", "Yamada", "Taro", None, None),
    ("ＹＡＭＡＤＡ　Ｔａｒｏ", "Yamada", "Taro", None, None),
    ("SATO Hanako (ABC Corp.)", "Sato", "Hanako", "ABC Corp.", None),
    ("Ken Mori", "Mori", "Ken", None, None),
    ("Yamada", "Yamada", None, None, None),
    ("Taro Yamada (山田太郎)", "Yamada", "Taro", None, None),
    # English
    ("Acme Inc. - John Smith", "Smith", "John", "Acme Inc.", None),
    ("John Smith (Acme)", "Smith", "John", "Acme", None),
    ("John Smith | Acme", "Smith", "John", "Acme", None),
    ("John Smith, Acme Inc.", "Smith", "John", "Acme Inc.", None),
    ("John Smith at Acme", "Smith", "John", "Acme", None),
    ("Smith, John", "Smith", "John", None, None),
    ("Dr. Jane Doe", "Doe", "Jane", None, None),
    ("Prof. Jane Doe, PhD", "Doe", "Jane", None, None),
    ("Mary-Jane O'Neil", "O'Neil", "Mary-Jane", None, None),
    ('"Bob"', None, "Bob", None, None),
    ("'Bob'", None, "Bob", None, None),
    ("“Anna Lee”", "Lee", "Anna", None, None),
    ("😀 Anna 🎉", None, "Anna", None, None),
    ("JOHN SMITH", "Smith", "John", None, None),
    ("john smith", "Smith", "John", None, None),
    ("Ludwig van Beethoven", "van Beethoven", "Ludwig", None, None),
    ("John Smith via LinkedIn", "Smith", "John", None, None),
    ("John Smith (he/him)", "Smith", "John", None, None),
    ("Jane Doe <jane@example.com>", "Doe", "Jane", None, None),
    ("Abe Smith", "Smith", "Abe", None, None),
    ("Grace Hopper", "Hopper", "Grace", None, None),
    ("María José García", "García", "María", None, None),
    ("Seán Ó Briain", "Briain", "Seán", None, None),
]


@pytest.mark.parametrize(("display", "family", "given", "organization", "department"), SHAPES)
def test_parse_name_shapes(
    display: str,
    family: str | None,
    given: str | None,
    organization: str | None,
    department: str | None,
) -> None:
    name = parse_name(display)
    assert (name.family, name.given) == (family, given)
    assert name.organization == organization
    assert name.department == department
    assert name.is_person


def test_there_are_many_shapes() -> None:
    assert len(SHAPES) >= 60


# Displays that name no person: a company, a department, a role.
@pytest.mark.parametrize(
    ("display", "organization", "department"),
    [
        ("株式会社ABC", "株式会社ABC", None),
        ("総務部", None, "総務部"),
        ("お客様センター", None, "お客様センター"),
        ("カスタマーサポート", None, "カスタマーサポート"),
        ("一般社団法人ABC協会 事務局", "一般社団法人ABC協会", "事務局"),
        ("ABC株式会社 人事部 採用担当", "ABC株式会社", "人事部 採用担当"),
        ("Acme Support", "Acme Support", None),
        ("Sales Team", "Sales Team", None),
        ("Acme, Inc.", "Acme, Inc.", None),
        ("Acme Corporation", "Acme Corporation", None),
    ],
)
def test_organizations_are_not_people(
    display: str, organization: str | None, department: str | None
) -> None:
    name = parse_name(display)
    assert not name.is_person
    assert (name.family, name.given, name.full) == (None, None, "")
    assert (name.organization, name.department) == (organization, department)
    assert japanese_address(name, "様") is None
    assert japanese_address(name, "さん") is None
    for form in NameForm:
        assert english_address(name, form, title="Mr.") is None


@pytest.mark.parametrize("display", ["", None, "   ", '""', "🎉", "jane@example.com"])
def test_empty_names(display: str | None) -> None:
    assert parse_name(display) == PersonName()


@pytest.mark.parametrize(
    ("display", "full", "position", "title"),
    [
        ("山田部長", "山田", "部長", None),
        ("代表取締役 山田太郎", "山田太郎", "代表取締役", None),
        ("Dr. Jane Doe", "Jane Doe", None, "Dr."),
        ("Prof. Jane Doe, PhD", "Jane Doe", None, "Prof."),
        ("YAMADA Taro", "Yamada Taro", None, None),
        ("JOHN SMITH", "John Smith", None, None),
        ("mary-jane o'neil", "Mary-Jane O'Neil", None, None),
        ("株式会社ABC 山田太郎", "山田太郎", None, None),
    ],
)
def test_full_name_without_extras(
    display: str, full: str, position: str | None, title: str | None
) -> None:
    name = parse_name(display)
    assert (name.full, name.position, name.title) == (full, position, title)


@pytest.mark.parametrize(
    ("display", "script", "japanese"),
    [
        ("山田太郎", Script.JAPANESE, True),
        ("YAMADA Taro", Script.LATIN, True),
        ("Taro Yamada", Script.LATIN, True),
        ("Ken Mori", Script.LATIN, True),
        ("John Smith", Script.LATIN, False),
        ("Abe Smith", Script.LATIN, False),
        ("ジョン・スミス", Script.JAPANESE, False),
        ("山田 Taro", Script.MIXED, True),
        ("株式会社ABC", Script.NONE, False),
    ],
)
def test_script_and_japaneseness(display: str, script: Script, japanese: bool) -> None:
    name = parse_name(display)
    assert (name.script, name.japanese) == (script, japanese)


def test_unsure_split_keeps_the_full_name() -> None:
    # Three kanji with no known family name: 1+2 or 2+1 cannot be told.
    name = parse_name("霧島晶")
    assert (name.family, name.given, name.full) == (None, None, "霧島晶")
    assert japanese_address(name, "様") == "霧島晶様"
    kana = parse_name("やまだたろう")
    assert kana.family is None
    assert japanese_address(kana, "さん") == "やまだたろうさん"


# --- the address's local part -------------------------------------------------


@pytest.mark.parametrize(
    ("email", "family", "given", "japanese"),
    [
        ("john.smith@example.com", "Smith", "John", False),
        ("mary_jones@example.com", "Jones", "Mary", False),
        ("taro.yamada@example.co.jp", "Yamada", "Taro", True),
        ("yamada.taro@example.co.jp", "Yamada", "Taro", True),
        ("john.smith+news@example.com", "Smith", "John", False),
    ],
)
def test_local_part_fallback(email: str, family: str, given: str, japanese: bool) -> None:
    name = parse_name("", email)
    assert (name.family, name.given, name.japanese, name.source) == (
        family,
        given,
        japanese,
        "email",
    )


@pytest.mark.parametrize(
    "email",
    [
        "jsmith@example.com",
        "info@example.com",
        "yamada@example.co.jp",
        "sales.team@example.com",
        "j.s@example.com",
        "x123.smith@example.com",
        "foo.bar@example.com",
        "not-an-address",
    ],
)
def test_local_part_is_used_only_when_unmistakable(email: str) -> None:
    assert not parse_name("", email).is_person


def test_display_name_wins_over_local_part() -> None:
    assert parse_name("Jane Doe", "john.smith@example.com").given == "Jane"


def test_ambiguous_kanji_reading_needs_the_address() -> None:
    assert parse_name("中島 美香").latin_family is None
    assert parse_name("中島 美香", "mika.nakashima@example.jp").latin_family == "Nakashima"
    assert parse_name("山田 太郎").latin_family == "Yamada"


# --- addressing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "honorific", "expected"),
    [
        ("株式会社ABC 山田太郎", "様", "山田様"),
        ("株式会社ABC 山田太郎", "さん", "山田さん"),
        ("総務部 佐藤", "さん", "佐藤さん"),
        ("（株）ABC 山田 太郎", "様", "山田様"),
        ("山田部長", "様", "山田様"),
        ("John Smith", "さん", "Smithさん"),
        ("Bob", "さん", "Bobさん"),
        ("山田先生", "先生", "山田先生"),
    ],
)
def test_japanese_address(display: str, honorific: str, expected: str) -> None:
    assert japanese_address(parse_name(display), honorific) == expected


def test_japanese_address_by_given_name() -> None:
    name = parse_name("山田 太郎")
    assert japanese_address(name, "さん", form=NameForm.GIVEN) == "太郎さん"
    assert japanese_address(name, "様", form=NameForm.FULL) == "山田太郎様"


@pytest.mark.parametrize("display", ["株式会社ABC", "総務部", "ABC株式会社 営業部", "（株）ABC"])
def test_a_company_is_never_addressed(display: str) -> None:
    """The issue's ``株式会社ABCさん`` must be impossible."""
    name = parse_name(display)
    assert japanese_address(name, "さん") is None
    assert japanese_address(name, "様") is None


def test_japanese_address_rejects_other_honorifics() -> None:
    with pytest.raises(ValueError, match="honorific"):
        japanese_address(parse_name("山田太郎"), "ちゃん")


@pytest.mark.parametrize(
    ("display", "form", "title", "expected"),
    [
        ("YAMADA Taro", NameForm.FAMILY_SAN, None, "Yamada-san"),
        ("Taro Yamada", NameForm.FAMILY_SAN, None, "Yamada-san"),
        ("山田太郎", NameForm.FAMILY_SAN, None, "Yamada-san"),
        ("山田太郎", NameForm.GIVEN, None, None),
        ("山田太郎 (Taro Yamada)", NameForm.GIVEN, None, "Taro"),
        ("John Smith", NameForm.GIVEN, None, "John"),
        ("John Smith", NameForm.TITLE_FAMILY, None, None),  # no gender guessed
        ("John Smith", NameForm.TITLE_FAMILY, "Mr.", "Mr. Smith"),
        ("Dr. Jane Doe", NameForm.TITLE_FAMILY, None, "Dr. Doe"),
        ("John Smith", NameForm.FULL, None, "John Smith"),
        ("Yamada, Taro", NameForm.FULL, None, "Taro Yamada"),
        ("霧島晶", NameForm.FULL, None, None),
    ],
)
def test_english_address(
    display: str, form: NameForm, title: str | None, expected: str | None
) -> None:
    assert english_address(parse_name(display), form, title=title) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Taro", True), ("Hattori", True), ("Shun'ichi", True), ("Kenji", True), ("Ryouta", True),
     ("Smith", False), ("John", False), ("Grace", False), ("A", False)],
)  # fmt: skip
def test_is_romaji_word(word: str, expected: bool) -> None:
    assert is_romaji_word(word) is expected


def test_to_json_keys() -> None:
    data = parse_name("株式会社ABC 山田太郎").to_json()
    assert data["organization"] == "株式会社ABC"
    assert data["family"] == "山田"
    assert data["script"] == "japanese"
    assert set(data) >= {"full", "family", "given", "latin_family", "source"}
