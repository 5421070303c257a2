"""Names: a display name parsed into a person, and how to address them.

This module is long because it carries its data: common Japanese family names
with their readings, romaji syllables, English given names, company and
department markers, honorifics and titles, each list beside the rule that reads it.

:func:`parse_name` turns the display name of a mail address into a typed
:class:`PersonName`: the family and given names, the organization and
department written around them (stripped off, kept apart), a title such as
``Dr.`` and the script it was written in. It knows the shapes real mailboxes
carry::

    株式会社ABC 山田太郎      （株）ABC 山田 太郎      山田太郎（ABC株式会社）
    総務部 佐藤              ABC株式会社 営業部 佐藤花子   山田部長
    YAMADA Taro             Taro Yamada             Yamada, Taro
    Acme Inc. - John Smith  John Smith (Acme)       Dr. Jane Doe   "Bob"

Rules that keep it honest:

* A company or a department is never a name: ``株式会社ABC`` alone gives a
  :class:`PersonName` without family or given name, so no one writes
  ``株式会社ABCさん``.
* Japanese names are family name first. Unspaced kanji names are split by a
  list of common family names, else by length (four kanji split two and two);
  when neither is sure, the full name is kept whole and addressing uses it
  (``山田太郎様`` is always correct, a wrong split is not).
* Romaji names: an all-capitals word among mixed-case ones is the family name
  (``YAMADA Taro``, ``Taro YAMADA``); ``Family, Given`` is honoured; a known
  Japanese family name followed by a word that reads as romaji is family
  first (``Yamada Taro``); otherwise Western order (``Taro Yamada``).
* The address's local part is used only when the display name is empty and
  the local part is unmistakably ``given.family`` (a common given name or a
  common Japanese family name on one side): ``john.smith@`` gives John Smith,
  ``jsmith@`` and ``info@`` give nothing.

:func:`japanese_address` and :func:`english_address` then say ``山田様``,
``山田さん``, ``Yamada-san``, ``Mr. Smith`` or ``John``, or None when no person
is known (the template then greets without a name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "person_label",
    "with_san",
    "Script",
    "NameForm",
    "PersonName",
    "parse_name",
    "japanese_address",
    "english_address",
    "is_romaji_word",
    "HONORIFICS",
]

# --- character classes ---------------------------------------------------------

_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006\u30f6"
_JA_RE = re.compile(f"[{_KANA}{_KANJI}]")
_KANJI_RUN_RE = re.compile(f"^[{_KANJI}]+")
_ALL_KANJI_RE = re.compile(f"^[{_KANJI}]+$")
_HIRAGANA_ONLY_RE = re.compile(r"^[\u3040-\u309f\u30fc\s・]+$")
_KATAKANA_ONLY_RE = re.compile(r"^[\u30a0-\u30ff\uff66-\uff9f・＝=]+$")
_LATIN_WORD_RE = re.compile(r"^[^\W\d_][\w.'’\-]*$")


class Script(StrEnum):
    """The script a person's name is written in."""

    LATIN = "latin"
    JAPANESE = "japanese"
    MIXED = "mixed"
    NONE = "none"  # no person name at all


class NameForm(StrEnum):
    """Which part of a name a greeting uses."""

    GIVEN = "given"  # "John", "太郎さん"
    FAMILY = "family"  # "山田様", "山田さん", "Smith"
    FAMILY_SAN = "family_san"  # "Yamada-san"
    TITLE_FAMILY = "title_family"  # "Mr. Smith", "Dr. Doe"
    FULL = "full"  # "John Smith", "山田太郎様"


# The Japanese honorifics Kizuna writes after a name.
HONORIFICS = ("様", "さん")

# --- word lists ----------------------------------------------------------------

# Common Japanese family names with their usual romaji. None: the split is
# certain but the reading is not (中島 is Nakajima or Nakashima).
_JA_SURNAMES: dict[str, str | None] = {
    "佐藤": "Sato", "鈴木": "Suzuki", "高橋": "Takahashi", "田中": "Tanaka", "伊藤": "Ito",
    "渡辺": "Watanabe", "渡邊": "Watanabe", "渡邉": "Watanabe", "山本": "Yamamoto",
    "中村": "Nakamura", "小林": "Kobayashi", "加藤": "Kato", "吉田": "Yoshida", "山田": "Yamada",
    "佐々木": "Sasaki", "山口": "Yamaguchi", "松本": "Matsumoto", "井上": "Inoue",
    "木村": "Kimura", "林": "Hayashi", "斎藤": "Saito", "斉藤": "Saito", "齋藤": "Saito",
    "齊藤": "Saito", "清水": "Shimizu", "山崎": None, "森": "Mori", "池田": "Ikeda",
    "橋本": "Hashimoto", "阿部": "Abe", "安部": "Abe", "石川": "Ishikawa", "山下": "Yamashita",
    "中島": None, "石井": "Ishii", "小川": "Ogawa", "前田": "Maeda", "岡田": "Okada",
    "長谷川": "Hasegawa", "藤田": "Fujita", "後藤": "Goto", "近藤": "Kondo", "村上": "Murakami",
    "遠藤": "Endo", "青木": "Aoki", "坂本": "Sakamoto", "福田": "Fukuda", "太田": "Ota",
    "西村": "Nishimura", "藤井": "Fujii", "金子": "Kaneko", "岡本": "Okamoto",
    "藤原": "Fujiwara", "中野": "Nakano", "三浦": "Miura", "原田": "Harada", "中川": "Nakagawa",
    "松田": "Matsuda", "竹内": "Takeuchi", "小野": "Ono", "田村": "Tamura", "中山": "Nakayama",
    "和田": "Wada", "石田": "Ishida", "森田": "Morita", "上田": "Ueda", "原": "Hara",
    "内田": "Uchida", "柴田": "Shibata", "酒井": "Sakai", "宮崎": "Miyazaki", "横山": "Yokoyama",
    "高木": "Takagi", "安藤": "Ando", "宮本": "Miyamoto", "大野": "Ono", "小島": "Kojima",
    "谷口": "Taniguchi", "今井": "Imai", "工藤": "Kudo", "高田": None, "増田": "Masuda",
    "丸山": "Maruyama", "杉山": "Sugiyama", "村田": "Murata", "大塚": "Otsuka", "新井": "Arai",
    "小山": "Koyama", "平野": "Hirano", "藤本": "Fujimoto", "河野": None, "上野": "Ueno",
    "野口": "Noguchi", "武田": "Takeda", "松井": "Matsui", "千葉": "Chiba", "岩崎": "Iwasaki",
    "菅原": "Sugawara", "木下": "Kinoshita", "久保": "Kubo", "佐野": "Sano", "野村": "Nomura",
    "松尾": "Matsuo", "市川": "Ichikawa", "菊地": "Kikuchi", "菊池": "Kikuchi",
    "杉本": "Sugimoto", "古川": "Furukawa", "大西": "Onishi", "島田": "Shimada",
    "水野": "Mizuno", "桜井": "Sakurai", "櫻井": "Sakurai", "高野": "Takano", "渡部": None,
    "吉川": "Yoshikawa", "山内": "Yamauchi", "西田": "Nishida", "飯田": "Iida", "菅野": None,
    "栗原": "Kurihara", "服部": "Hattori", "樋口": "Higuchi", "福島": "Fukushima",
    "川口": "Kawaguchi", "辻": "Tsuji", "永井": "Nagai", "秋山": "Akiyama", "北村": "Kitamura",
    "中西": "Nakanishi", "五十嵐": "Igarashi", "大久保": "Okubo", "久保田": "Kubota",
    "小松": "Komatsu", "岩田": "Iwata", "松下": "Matsushita", "中田": None, "本田": "Honda",
    "関": "Seki", "東": None, "西": "Nishi", "南": "Minami", "北": "Kita", "堀": "Hori",
    "岡": "Oka", "谷": "Tani", "星": "Hoshi", "泉": "Izumi", "森本": "Morimoto",
    "宮田": "Miyata", "大橋": "Ohashi", "石原": "Ishihara", "荒木": "Araki", "松岡": "Matsuoka",
    "浅野": "Asano", "小西": "Konishi", "片山": "Katayama", "岡崎": "Okazaki",
    "坂口": "Sakaguchi", "吉村": "Yoshimura", "内藤": "Naito", "須藤": "Sudo", "長田": None,
    "田口": "Taguchi", "大川": "Okawa", "平田": "Hirata", "小池": "Koike", "土屋": "Tsuchiya",
    "桑原": "Kuwahara", "松村": "Matsumura", "三宅": "Miyake", "石橋": "Ishibashi",
    "川村": "Kawamura", "野田": "Noda", "佐久間": "Sakuma", "小田": "Oda", "竹田": "Takeda",
    "矢野": "Yano", "熊谷": "Kumagai", "早川": "Hayakawa", "奥村": "Okumura",
    "倉本": "Kuramoto", "宇佐美": "Usami", "小笠原": "Ogasawara", "東海林": "Shoji",
    "小野寺": "Onodera", "大和田": "Owada", "長谷部": "Hasebe", "日比野": "Hibino",
    "波多野": "Hatano", "小宮山": "Komiyama", "大河内": None, "小田切": "Odagiri",
    "宇都宮": "Utsunomiya", "竹之内": "Takenouchi", "阿久津": "Akutsu", "美濃部": "Minobe",
    "曽我部": "Sogabe", "小山田": "Oyamada", "三上": "Mikami", "田辺": "Tanabe",
    "関口": "Sekiguchi", "横田": "Yokota", "望月": "Mochizuki", "新田": "Nitta",
    "伊東": "Ito", "石塚": "Ishizuka", "白石": "Shiraishi", "日下部": "Kusakabe",
    "岡部": "Okabe", "矢部": "Yabe", "磯部": "Isobe", "氷室": "Himuro", "大谷": None,
    "上村": None, "中井": "Nakai", "今村": "Imamura", "小倉": "Ogura", "宮下": "Miyashita",
    "野崎": "Nozaki", "斎木": "Saiki", "黒田": "Kuroda", "高山": "Takayama", "藤川": "Fujikawa",
}  # fmt: skip

# Romaji family names, for names written in Latin letters.
_ROMAJI_SURNAMES = frozenset(
    {v.lower() for v in _JA_SURNAMES.values() if v}
    | {
        "satou", "itou", "katou", "saitou", "gotou", "kondou", "endou", "andou", "kudou",
        "oota", "ohta", "ohno", "oono", "ohtsuka", "ootsuka", "nakashima", "nakajima",
        "takata", "takada", "kawano", "kouno", "kono", "kanno", "sugano", "nagata", "osada",
        "watabe", "nakada", "higashi", "azuma", "yamasaki", "yamazaki", "ohashi", "oohashi",
        "ootani", "otani", "ohtani", "uemura", "kamimura", "okochi", "ookouchi", "shouji",
        "kuramoto", "suzuki", "kobayashi", "miyazaki", "ishikawa", "tanaka",
    }
)  # fmt: skip

# Common English given names: for reading an address's local part and for
# telling a person from a company when a display name has two parts.
_EN_GIVEN = frozenset(
    """
    aaron adam alan alex alexander alice alison amanda amy andrea andrew angela anna anne
    anthony ben benjamin beth bob brian carl carol caroline catherine charles charlotte chris
    christina christine christopher claire daniel david deborah dennis diana donna edward elena
    elizabeth emily emma eric erin frank gary george grace greg hannah harry helen henry ian
    jack jacob james jane janet jason jean jeff jennifer jessica jim joan joe john jonathan
    joseph joshua julia julie karen kate katherine kathy kevin kim laura lauren linda lisa
    lucy mark martin mary matt matthew megan melissa michael michelle mike nancy natalie
    nicholas nick nicole oliver olivia pamela patricia patrick paul peter philip rachel
    rebecca richard robert ruth ryan sam samuel sandra sarah scott sean sophie stephanie
    stephen steve steven susan thomas tim timothy tom tony victoria william
    """.split()
)

# Words a display name may carry that are roles, not people.
_ROLE_WORDS = frozenset(
    """
    support team info admin administrator sales billing office contact hello help service
    services customer customers newsletter news notifications notification noreply no-reply
    donotreply hr recruiting recruitment careers jobs marketing accounts accounting finance
    reception desk helpdesk staff department dept secretariat mailer postmaster webmaster
    """.split()
)

_EN_TITLES = {
    "mr": "Mr.", "mrs": "Mrs.", "ms": "Ms.", "miss": "Miss", "mx": "Mx.", "dr": "Dr.",
    "prof": "Prof.", "professor": "Prof.", "sir": "Sir", "dame": "Dame",
}  # fmt: skip
_EN_SUFFIXES = frozenset(
    {"jr", "sr", "ii", "iii", "iv", "phd", "ph.d", "md", "mba", "esq", "cpa", "pe", "msc", "bsc"}
)
_SURNAME_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "das", "dos", "del", "della", "di", "du", "le",
     "la", "ten", "ter", "bin", "al", "el", "mac", "st", "st."}
)  # fmt: skip

# Company markers. Japanese ones may stand before or after the company name
# (株式会社ABC, ABC株式会社) and be abbreviated ((株), ㈱).
_JA_CORP = (
    "特定非営利活動法人", "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人",
    "独立行政法人", "国立大学法人", "社会福祉法人", "株式会社", "有限会社", "合同会社",
    "合資会社", "合名会社", "社団法人", "財団法人", "学校法人", "医療法人", "NPO法人",
    "(株)", "（株）", "㈱", "(有)", "（有）", "㈲", "(同)", "（同）", "(合)", "（合）",
)  # fmt: skip
# Endings that make a Japanese word an organization.
_JA_ORG_ENDINGS = (
    "ホールディングス", "コーポレーション", "グループ", "ジャパン", "商事", "商会", "工業",
    "産業", "銀行", "証券", "保険", "製作所", "電機", "電気", "物産", "建設", "出版", "新聞社",
    "研究所", "事務所", "大学", "大学院", "病院", "学校", "学園", "協会", "組合", "財団",
    "機構", "市役所", "区役所", "役場", "省", "庁", "社",
)  # fmt: skip
_JA_DEPT_ENDINGS = (
    "事業部", "本部", "部門", "部", "課", "室", "局", "係", "班", "センター", "チーム",
    "事務局", "支店", "支社", "営業所", "本社", "窓口", "担当", "サポート", "サービス",
    "デスク", "受付", "問い合わせ", "問合せ", "運営", "編集部",
)  # fmt: skip
_JA_DEPT_ROOTS = frozenset(
    """総務 営業 人事 経理 開発 技術 企画 広報 法務 財務 製造 購買 資材 品質 研究 設計 管理
    情報 システム 海外 国際 販売 業務 事業 経営 秘書 広告 編集 制作 生産 物流 調達 教務""".split()
)
_JA_POSITIONS = (
    "代表取締役社長", "代表取締役会長", "代表取締役", "取締役社長", "取締役", "執行役員",
    "副社長", "社長", "会長", "専務", "常務", "本部長", "事業部長", "支店長", "部長", "次長",
    "課長", "係長", "室長", "所長", "局長", "店長", "主任", "主査", "理事長", "理事", "院長",
    "学長", "准教授", "教授", "講師", "助教", "博士", "代表", "マネージャー", "マネジャー",
    "ディレクター", "リーダー",
)  # fmt: skip
# Honorifics already written after a name (Kizuna writes its own).
_JA_NAME_SUFFIXES = ("さま", "様", "さん", "サン", "殿", "氏", "先生", "くん", "君", "ちゃん")

_EN_CORP_RE = re.compile(
    r"(?<![\w])(?:inc|incorporated|ltd|limited|llc|llp|plc|gmbh|ag|sa|s\.a|sas|sarl|bv|b\.v|nv|"
    r"oy|ab|as|a/s|spa|s\.p\.a|srl|pty|pte|kk|k\.k|corp|corporation|co|company|group|holdings|"
    r"university|univ|college|institute|foundation|labs?|laboratories|studio|studios|agency|"
    r"partners|associates|consulting|solutions|systems|technologies|software|bank|"
    r"hospital|school|ministry|council|gov)\.?(?![\w])",
    re.IGNORECASE,
)
_ABBREVIATIONS = {
    "株": "㈱",
    "有": "㈲",
    "同": "合同会社",
    "合": "合資会社",
    "財": "財団法人",
    "社": "社団法人",
}
_ABBREVIATED_CORP_RE = re.compile(r"[(（]\s*([株有同合財社])\s*[)）]")
_BRACKET_RE = re.compile(r"[(（\[［【〈《<]([^)）\]］】〉》>]*)[)）\]］】〉》>]")
_SEPARATOR_RE = re.compile(r"\s+[-–—|/@:｜／]\s+|\s*[｜／|]\s*|\s+at\s+|\s+via\s+", re.IGNORECASE)
_PRONOUNS_RE = re.compile(r"^\s*(?:she|he|they|ze|xe)\s*/\s*\w+(?:\s*/\s*\w+)?\s*$", re.I)
_QUOTES = "\"'“”‘’「」『』`´"
_ROMAJI_RE = re.compile(
    r"^(?:(?:ky|gy|sh|ch|ny|hy|my|ry|by|py|ts|dz|j|f|[kgsztdnhbpmyrw])?[aeiou]|n)+$"
)


@dataclass(frozen=True, slots=True)
class PersonName:
    """A display name, parsed.

    ``full`` is the person's name without organization, department, title or
    honorific, as written (case fixed when it was all capitals or all lower
    case): ``"山田 太郎"``, ``"山田太郎"``, ``"Taro Yamada"``; ``""`` when no
    person is known. ``family``/``given`` are None when unknown (an unspaced
    Japanese name that cannot be split safely keeps only ``full``).
    ``latin_family``/``latin_given`` are the name in Latin letters where known
    (written so, given in brackets, or the reading of a common kanji family
    name confirmed by the address). ``japanese`` says the person's name is
    Japanese (Japanese script, or a romaji name with a known Japanese family
    name). ``source`` is ``"display"``, ``"email"`` (read from the local
    part) or ``"none"``.
    """

    full: str = ""
    family: str | None = None
    given: str | None = None
    script: Script = Script.NONE
    japanese: bool = False
    organization: str | None = None
    department: str | None = None
    position: str | None = None
    title: str | None = None
    latin_family: str | None = None
    latin_given: str | None = None
    source: str = "none"

    @property
    def is_person(self) -> bool:
        """True when a person's name is known (not only a company or a department)."""
        return bool(self.full)

    def to_json(self) -> dict[str, object]:
        """The parsed name as a JSON object (keys as the fields, ``script`` as its value)."""
        return {
            "full": self.full or None,
            "family": self.family,
            "given": self.given,
            "script": self.script.value,
            "japanese": self.japanese,
            "organization": self.organization,
            "department": self.department,
            "position": self.position,
            "title": self.title,
            "latin_family": self.latin_family,
            "latin_given": self.latin_given,
            "source": self.source,
        }


# --- helpers -------------------------------------------------------------------


def _is_ja(text: str) -> bool:
    return _JA_RE.search(text) is not None


def _has_latin(text: str) -> bool:
    return any(c.isalpha() and not _is_ja(c) for c in text)


def is_romaji_word(word: str) -> bool:
    """True when ``word`` reads as Hepburn romaji (``Taro``, ``Hattori``, ``Shun'ichi``).

    >>> is_romaji_word("Kenji"), is_romaji_word("Smith")
    (True, False)
    """
    w = word.lower().replace("'", "").replace("’", "").replace("-", "")
    if not w.isascii() or not w.isalpha() or len(w) < 2:
        return False
    w = re.sub(r"([kstpgcdbfhjmrz])\1", r"\1", w)  # geminates: Hattori, Nakko
    w = w.replace("tch", "ch").replace("mb", "nb").replace("mp", "np").replace("mm", "nm")
    return _ROMAJI_RE.match(w) is not None


def _clean_text(text: str) -> str:
    """Unicode NFKC for Latin letters, no emoji or symbols, no control characters."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("So", "Sk", "Cs", "Co", "Cn", "Cc", "Cf") and ch not in "㈱㈲":
            out.append(" ")
            continue
        out.append(ch)
    cleaned = "".join(out)
    # Full-width Latin letters and digits to ASCII, but keep kana as they are.
    cleaned = "".join(
        unicodedata.normalize("NFKC", c) if "\uff01" <= c <= "\uff5e" and c not in "（）｜／" else c
        for c in cleaned
    )
    return " ".join(cleaned.replace("\u3000", " ").split())


def _strip_quotes(text: str) -> str:
    return text.strip().strip(_QUOTES).strip()


def _fix_case(word: str) -> str:
    """``SMITH`` -> ``Smith``, ``o'neil`` -> ``O'Neil``, ``mary-jane`` -> ``Mary-Jane``."""
    if not word.isupper() and not word.islower():
        return word
    if len(word) <= 1:
        return word.upper()
    parts = re.split(r"([-'’])", word.lower())
    fixed = "".join(p[:1].upper() + p[1:] if p not in "-'’" else p for p in parts)
    if fixed.startswith("Mc") and len(fixed) > 2:
        fixed = "Mc" + fixed[2].upper() + fixed[3:]
    return fixed


def _is_corp_ja(token: str) -> bool:
    return any(m in token for m in _JA_CORP) or (
        _is_ja(token) and len(token) >= 3 and token.endswith(_JA_ORG_ENDINGS)
    )


def _is_dept_ja(token: str) -> bool:
    if token in _JA_SURNAMES or not _is_ja(token):
        return False
    if token in _JA_DEPT_ROOTS:
        return True
    return token.endswith(_JA_DEPT_ENDINGS) and len(token) >= 3


def _strip_ja_suffix(token: str) -> str:
    for suffix in _JA_NAME_SUFFIXES:
        if token.endswith(suffix) and len(token) > len(suffix):
            return token[: -len(suffix)]
    return token


def _split_position(token: str) -> tuple[str, str | None]:
    """``山田部長`` -> (``山田``, ``部長``); ``営業部長`` -> (``""``, ``営業部長``)."""
    for pos in _JA_POSITIONS:
        if token.endswith(pos):
            rest = token[: -len(pos)]
            if not rest or rest in _JA_DEPT_ROOTS or _is_dept_ja(rest) or _is_corp_ja(rest):
                return "", token
            return rest, pos
    return token, None


def _known_surname_prefix(token: str) -> str | None:
    for length in (3, 2, 1):
        if len(token) > length and token[:length] in _JA_SURNAMES:
            rest = token[length:]
            if 1 <= len(rest) <= 3:
                return token[:length]
    return None


def _split_unspaced(token: str) -> tuple[str | None, str | None]:
    """Family and given name of an unspaced Japanese name, when the split is safe.

    * a common family name at the start, 1-3 characters left: that split;
    * kanji then kana (``山田はなこ``): the kanji run is the family name;
    * one or two kanji alone: a family name written alone (``山田``, ``林``);
    * four kanji: two and two (the most common shape by far);
    * anything else (three or five kanji, kana only): no split.
    """
    if token in _JA_SURNAMES:
        return token, None
    known = _known_surname_prefix(token)
    if known:
        return known, token[len(known) :]
    if _ALL_KANJI_RE.match(token):
        if len(token) <= 2:
            return token, None
        if len(token) == 4:
            return token[:2], token[2:]
        return None, None
    run = _KANJI_RUN_RE.match(token)
    if run and len(run.group()) < len(token):
        return run.group(), token[len(run.group()) :]
    return None, None


def _looks_like_org_en(text: str) -> bool:
    """A company or a role: ``Acme Inc.``, ``Sales``, ``Acme Support`` (no given name in it)."""
    words = [w.strip(".,").lower() for w in text.split()]
    if _EN_CORP_RE.search(text):
        return True
    return any(w in _ROLE_WORDS for w in words) and not any(w in _EN_GIVEN for w in words)


def _person_score(text: str) -> int:
    """How much ``text`` looks like a person's name (for ``A - B`` displays)."""
    if _is_ja(text):
        if _is_corp_ja(text) or all(_is_dept_ja(t) for t in text.split()):
            return -5
        return 2
    if _looks_like_org_en(text):
        return -5
    words = [w for w in text.split() if w.rstrip(".").lower() not in _EN_TITLES]
    score = 0
    if 2 <= len(words) <= 3:
        score += 2
    if words and words[0].lower() in _EN_GIVEN:
        score += 3
    if any(w.lower() in _ROMAJI_SURNAMES for w in words):
        score += 2
    if any(any(c.isdigit() for c in w) for w in words):
        score -= 3
    return score


# --- parsing -------------------------------------------------------------------


@dataclass
class _Parts:
    person: str = ""
    organization: list[str] | None = None
    department: list[str] | None = None
    alternate: str = ""  # the same name in another script, from brackets
    position: str | None = None

    def add_org(self, text: str) -> None:
        if text:
            self.organization = [*(self.organization or []), text]

    def add_dept(self, text: str) -> None:
        if text:
            self.department = [*(self.department or []), text]


def _take_brackets(text: str, parts: _Parts) -> str:
    """Move bracketed companies, departments and alternate names out of ``text``."""

    def classify(match: re.Match[str]) -> str:
        inner = _strip_quotes(match.group(1))
        outside = _BRACKET_RE.sub(" ", text)
        if (
            not inner
            or "@" in inner
            or _PRONOUNS_RE.match(inner)
            or inner.lower().startswith(("via ", "on behalf"))
        ):
            return " "
        if _HIRAGANA_ONLY_RE.match(inner) and _is_ja(outside):
            return " "  # a reading: 山田太郎（やまだたろう）
        if _is_ja(inner):
            if _is_corp_ja(inner):
                parts.add_org(inner)
            elif all(_is_dept_ja(t) for t in inner.split()):
                parts.add_dept(inner)
            elif not _is_ja(outside) and _has_latin(outside):
                parts.alternate = inner  # Taro Yamada (山田太郎)
            else:
                parts.add_org(inner)  # 山田太郎（ABC）: a company in brackets
            return " "
        if _looks_like_org_en(inner):
            parts.add_org(inner)
        elif _is_ja(outside) and _romaji_name_like(inner):
            parts.alternate = inner  # 山田太郎 (Taro Yamada)
        elif _is_ja(outside) and not outside.strip():
            parts.alternate = inner
        else:
            parts.add_org(inner)  # John Smith (Acme)
        return " "

    return _BRACKET_RE.sub(classify, text)


def _romaji_name_like(text: str) -> bool:
    words = text.replace(",", " ").split()
    return 1 <= len(words) <= 3 and any(w.lower() in _ROMAJI_SURNAMES for w in words)


def _split_separators(text: str, parts: _Parts) -> str:
    """``Acme Inc. - John Smith`` -> ``John Smith`` (the company goes to ``parts``)."""
    pieces = [p.strip() for p in _SEPARATOR_RE.split(text) if p and p.strip()]
    if len(pieces) <= 1:
        return text
    best = max(range(len(pieces)), key=lambda i: (_person_score(pieces[i]), -i))
    for i, piece in enumerate(pieces):
        if i == best:
            continue
        if _is_ja(piece) and all(_is_dept_ja(t) for t in piece.split()):
            parts.add_dept(piece)
        else:
            parts.add_org(piece)
    return pieces[best]


def _split_comma_org(text: str, parts: _Parts) -> str:
    """``John Smith, Acme Inc.`` -> ``John Smith``; ``Smith, John`` is left alone."""
    if "," not in text and "、" not in text:
        return text
    pieces = [p.strip() for p in re.split(r"[,、]", text) if p.strip()]
    keep: list[str] = []
    for piece in pieces:
        low = piece.lower().rstrip(".")
        if low.replace(".", "") in _EN_SUFFIXES:
            continue
        if keep and _EN_CORP_RE.fullmatch(piece):
            parts.add_org(f"{keep.pop()}, {piece}")  # "Acme, Inc."
        elif _looks_like_org_en(piece) or _is_corp_ja(piece):
            parts.add_org(piece)
        else:
            keep.append(piece)
    return ", ".join(keep)


def _japanese_tokens(tokens: list[str], parts: _Parts) -> list[str]:
    """Drop companies, departments, positions and honorifics from Japanese tokens."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        bare_marker = token in _JA_CORP
        if bare_marker:
            # "株式会社 ABC 山田": the marker takes its neighbour with it.
            if i == 0 and len(tokens) > 1:
                parts.add_org(f"{token}{tokens[1]}")
                i += 2
                continue
            if out:
                parts.add_org(f"{out.pop()}{token}")
            else:
                parts.add_org(token)
            i += 1
            continue
        if _is_corp_ja(token):
            parts.add_org(token)
        elif _is_dept_ja(token):
            parts.add_dept(token)
        else:
            token = _strip_ja_suffix(token)
            rest, position = _split_position(token)
            if position is not None:
                parts.position = position
            if rest and rest not in _JA_NAME_SUFFIXES:
                out.append(rest)
        i += 1
    return out


def _parse_japanese(text: str, parts: _Parts) -> tuple[str, str | None, str | None]:
    tokens = _japanese_tokens(text.split(), parts)
    ja_tokens = [t for t in tokens if _is_ja(t)]
    latin_tokens = [t for t in tokens if not _is_ja(t)]
    if (
        len(tokens) == 2
        and _is_ja(tokens[0])
        and not _is_ja(tokens[1])
        and is_romaji_word(tokens[1])
        and not tokens[1].isupper()
    ):
        # 山田 Taro: a family name in kanji, the given name in romaji.
        return " ".join(tokens), tokens[0], tokens[1]
    if latin_tokens:
        latin = " ".join(latin_tokens)
        if _romaji_name_like(latin) and not parts.alternate:
            parts.alternate = latin  # 山田太郎 Taro Yamada
        elif len(ja_tokens) >= 1:
            parts.add_org(latin)  # ABC 山田太郎: a company without a marker
    # A katakana word before a kanji name is a company: ソニー 山田太郎.
    if (
        len(ja_tokens) >= 2
        and _KATAKANA_ONLY_RE.match(ja_tokens[0])
        and not any(_KATAKANA_ONLY_RE.match(t) for t in ja_tokens[1:])
    ):
        parts.add_org(ja_tokens.pop(0))
    if not ja_tokens:
        return "", None, None
    if len(ja_tokens) == 1:
        token = ja_tokens[0]
        if "・" in token or "＝" in token:  # ジョン・スミス: Western order in katakana
            first, _, last = token.replace("＝", "・").rpartition("・")
            return token, last or None, first or None
        split_family, split_given = _split_unspaced(token)
        return token, split_family, split_given
    if len(ja_tokens) > 2 and ja_tokens[0] not in _JA_SURNAMES:
        ja_tokens = ja_tokens[-2:]
    family, given = ja_tokens[0], ja_tokens[1]
    if _KATAKANA_ONLY_RE.match(family) and _KATAKANA_ONLY_RE.match(given):
        # ジョン スミス: katakana names are usually in Western order.
        if family not in _JA_SURNAMES:
            family, given = given, family
    return " ".join(ja_tokens[:2]), family, given


def _parse_latin(text: str) -> tuple[str, str | None, str | None, str | None]:
    """(full, family, given, title) of a name in Latin letters."""
    title = None
    comma_family = None
    if "," in text:
        family_part, _, given_part = text.partition(",")
        if given_part.strip() and len(family_part.split()) <= 2:
            comma_family = family_part.strip()
            text = f"{given_part.strip()} {comma_family}"
        else:
            text = family_part or given_part
    words = [_strip_quotes(w) for w in text.split()]
    words = [w for w in words if w]
    while words and words[0].rstrip(".").lower() in _EN_TITLES:
        title = _EN_TITLES[words.pop(0).rstrip(".").lower()]
    while words and words[-1].rstrip(".,").lower().replace(".", "") in _EN_SUFFIXES:
        words.pop()
    words = [w.strip(".,;:") if not re.fullmatch(r"[A-Za-z]\.", w) else w for w in words]
    words = [w for w in words if w and _LATIN_WORD_RE.match(w)]
    if not words:
        return "", None, None, title
    if len(words) == 1:
        word = words[0]
        one = _fix_case(word)
        if comma_family:
            return one, one, None, title
        if (
            title
            or (word.isupper() and len(word) > 1)
            or (word.lower() in _ROMAJI_SURNAMES and word.lower() not in _EN_GIVEN)
        ):
            return one, one, None, title
        return one, None, one, title
    capitals = [i for i, w in enumerate(words) if w.isupper() and len(w.rstrip(".")) > 1]
    mixed = [i for i, w in enumerate(words) if not w.isupper()]
    uniform = all(w.islower() for w in words) or all(w.isupper() for w in words)
    # Fix the case of a name written all in capitals or all in lower case,
    # and of a capitalised family name; "Ludwig van Beethoven" stays as written.
    fixed = [_fix_case(w) if uniform or w.isupper() else w for w in words]
    if comma_family:
        family_words = comma_family.split()
        family = " ".join(_fix_case(w) for w in family_words)
        given = " ".join(fixed[: len(fixed) - len(family_words)]) or None
        full = " ".join(fixed)
        return full, family, given, title
    if len(capitals) == 1 and mixed:
        i = capitals[0]
        family = fixed[i]
        given = " ".join(fixed[:i] + fixed[i + 1 :])
        return " ".join(fixed), family, given, title
    first, last = words[0].lower(), words[-1].lower()
    if (
        len(words) == 2
        and first in _ROMAJI_SURNAMES
        and last not in _ROMAJI_SURNAMES
        and is_romaji_word(last)
        and last not in _EN_GIVEN
    ):
        return " ".join(fixed), fixed[0], fixed[1], title  # Yamada Taro
    # Western order; particles belong to the family name (Ludwig van Beethoven).
    j = len(fixed) - 1
    while j > 1 and fixed[j - 1].lower() in _SURNAME_PARTICLES:
        j -= 1
    family = " ".join(fixed[j:])
    given = fixed[0]
    return " ".join(fixed), family, given, title


def _from_email(email: str | None) -> PersonName:
    """John Smith from ``john.smith@``; nothing from anything less certain."""
    if not email or "@" not in email:
        return PersonName()
    local = email.split("@", 1)[0].lower()
    local = local.split("+", 1)[0]
    pieces = [p for p in re.split(r"[._-]", local) if p]
    if len(pieces) != 2 or not all(p.isalpha() and p.isascii() and len(p) >= 2 for p in pieces):
        return PersonName()
    a, b = pieces
    if a in _EN_GIVEN and b not in _EN_GIVEN:
        given, family = a, b
    elif b in _ROMAJI_SURNAMES and is_romaji_word(a) and a not in _ROMAJI_SURNAMES:
        given, family = a, b
    elif a in _ROMAJI_SURNAMES and is_romaji_word(b) and b not in _ROMAJI_SURNAMES:
        given, family = b, a
    else:
        return PersonName()
    g, f = given.capitalize(), family.capitalize()
    japanese = f.lower() in _ROMAJI_SURNAMES and is_romaji_word(g)
    return PersonName(
        full=f"{g} {f}",
        family=f,
        given=g,
        script=Script.LATIN,
        japanese=japanese,
        latin_family=f,
        latin_given=g,
        source="email",
    )


def _latin_reading(family: str | None, email: str | None) -> str | None:
    """The romaji of a kanji family name: from the list, or confirmed by the address."""
    if not family or family not in _JA_SURNAMES:
        return None
    reading = _JA_SURNAMES[family]
    local = (email or "").split("@", 1)[0].lower()
    if reading:
        return reading
    # Ambiguous readings (中島: Nakajima/Nakashima) only when the address says which.
    candidates = [r for r in _ROMAJI_SURNAMES if r in local and len(r) >= 4]
    return max(candidates, key=len).capitalize() if candidates else None


def _org_text(pieces: list[str] | None) -> str | None:
    if not pieces:
        return None
    return " ".join(pieces).replace("㈱", "（株）").replace("㈲", "（有）")


def parse_name(display: str | None, email: str | None = None) -> PersonName:
    """Parse a display name (and, when it is empty, the address) into a :class:`PersonName`.

    >>> n = parse_name("株式会社ABC 山田太郎")
    >>> n.family, n.given, n.organization
    ('山田', '太郎', '株式会社ABC')
    >>> parse_name("YAMADA Taro").family
    'Yamada'
    >>> parse_name("総務部").is_person
    False
    """
    raw = _clean_text(display or "")
    if "@" in raw and " " not in raw.strip("<>\"' "):
        raw = ""  # the display name is just an address
    raw = _strip_quotes(raw)
    if not raw:
        return _from_email(email)
    # "（株）" is a company marker, not a bracketed aside: protect it first.
    raw = _ABBREVIATED_CORP_RE.sub(lambda m: _ABBREVIATIONS[m.group(1)], raw)
    raw = re.sub(r"\s+via\s+.*$", "", raw, flags=re.IGNORECASE)  # "John Smith via LinkedIn"
    parts = _Parts()
    text = _take_brackets(raw, parts)
    text = _split_separators(" ".join(text.split()), parts)
    text = _strip_quotes(text)
    if _is_ja(text):
        person, family, given = _parse_japanese(text, parts)
        title = None
    else:
        text = _split_comma_org(text, parts)
        if text and _looks_like_org_en(text):
            parts.add_org(text)
            text = ""
        person, family, given, title = _parse_latin(text)
    latin_family = latin_given = None
    japanese = False
    if person and _is_ja(person):
        script = Script.MIXED if _has_latin(person) else Script.JAPANESE
        japanese = not _KATAKANA_ONLY_RE.match(person.replace(" ", ""))
        if parts.alternate:
            _, alt_family, alt_given, _ = _parse_latin(parts.alternate)
            latin_family, latin_given = alt_family, alt_given
        else:
            latin_family = _latin_reading(family, email)
        if given and not _is_ja(given):
            latin_given = given  # 山田 Taro
    elif person:
        script = Script.LATIN
        latin_family, latin_given = family, given
        japanese = bool(family and family.lower() in _ROMAJI_SURNAMES) and (
            given is None or is_romaji_word(given)
        )
        if parts.alternate and _is_ja(parts.alternate):
            # Taro Yamada (山田太郎): the Japanese form is the person's own.
            japanese = True
    else:
        script = Script.NONE
    if not person and not parts.organization and not parts.department:
        return _from_email(email)
    return PersonName(
        full=person,
        family=family,
        given=given,
        script=script,
        japanese=japanese,
        organization=_org_text(parts.organization),
        department=" ".join(parts.department) if parts.department else None,
        position=parts.position,
        title=title,
        latin_family=latin_family,
        latin_given=latin_given,
        source="display" if person else "none",
    )


# --- addressing ----------------------------------------------------------------


def japanese_address(
    name: PersonName, honorific: str = "さん", *, form: NameForm = NameForm.FAMILY
) -> str | None:
    """How a Japanese text names the person: ``山田様``, ``山田さん``, ``太郎さん``.

    ``honorific`` is ``"様"`` or ``"さん"`` (or ``"先生"`` where the history
    used it). ``form`` :attr:`NameForm.GIVEN` uses the given name when known.
    An unsplit name is used whole (``山田太郎様``); a name in Latin letters
    keeps them (``Smith様``). None when no person is known: a company or a
    department alone is never addressed.

    >>> japanese_address(parse_name("株式会社ABC 山田太郎"), "様")
    '山田様'
    >>> japanese_address(parse_name("株式会社ABC")) is None
    True
    """
    if honorific not in (*HONORIFICS, "先生"):
        raise ValueError(f"honorific must be 様, さん or 先生 (got {honorific!r})")
    if not name.is_person:
        return None
    if form is NameForm.GIVEN and name.given:
        return f"{name.given}{honorific}"
    if form is NameForm.FULL or (not name.family and not name.given):
        return f"{name.full.replace(' ', '') if _is_ja(name.full) else name.full}{honorific}"
    if name.family:
        return f"{name.family}{honorific}"
    # Only a given name is known ("Bob", "太郎"): that, politely.
    return f"{name.given}{honorific}"


def english_address(name: PersonName, form: NameForm, *, title: str | None = None) -> str | None:
    """How an English text names the person, in Latin letters only; None when it cannot.

    * :attr:`NameForm.GIVEN`: ``John``, ``Taro``;
    * :attr:`NameForm.FAMILY_SAN`: ``Yamada-san``;
    * :attr:`NameForm.TITLE_FAMILY`: ``Mr. Smith``, ``Dr. Doe``: needs ``title``
      (from the history) or a title in the display name, else None; Kizuna
      never guesses a gender;
    * :attr:`NameForm.FULL`: ``John Smith``;
    * :attr:`NameForm.FAMILY`: ``Smith``.

    A name known only in Japanese script gives None unless its romaji is known.

    >>> english_address(parse_name("YAMADA Taro"), NameForm.FAMILY_SAN)
    'Yamada-san'
    >>> english_address(parse_name("山田太郎"), NameForm.GIVEN) is None
    True
    """
    family, given = name.latin_family, name.latin_given
    if form is NameForm.GIVEN:
        return given
    if form is NameForm.FAMILY_SAN:
        return f"{family}-san" if family else None
    if form is NameForm.TITLE_FAMILY:
        chosen = title or name.title
        return f"{chosen} {family}" if chosen and family else None
    if form is NameForm.FAMILY:
        return family
    if name.script is Script.LATIN:
        return name.full or None
    if family and given:
        return f"{given} {family}"
    return family


def person_label(display: str | None, email: str) -> str:
    """How Kizuna names someone to you: the person, never their company or department.

    Their name as parsed from the display name, else the display name when no
    person is in it, else the address.

    >>> person_label("株式会社ABC 山田 太郎", "taro@abc.example")
    '山田 太郎'
    >>> person_label("Acme Inc. - John Smith", "john@acme.example")
    'John Smith'
    >>> person_label("", "a@x.example"), person_label("ACME Support", "help@acme.example")
    ('a@x.example', 'ACME Support')
    """
    text = " ".join((display or "").split())
    parsed = parse_name(text, email)
    if parsed.is_person and parsed.source == "display" and parsed.full:
        return " ".join(parsed.full.split())
    return text or email


def with_san(label: str) -> str:
    """``label`` + さん as Japanese writers put it: ``山田 太郎さん``, but ``Alice Smith さん``.

    >>> with_san("山田 太郎"), with_san("Alice Smith")
    ('山田 太郎さん', 'Alice Smith さん')
    """
    return f"{label} さん" if label and label[-1].isascii() else f"{label}さん"
