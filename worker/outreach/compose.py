"""Render reconnection and thank-you drafts from Jinja2 templates.

Templates
---------
The defaults ship inside the package as ``worker.defaults.templates`` (the
repository's ``config/templates/``) and are read through
:mod:`importlib.resources`, never through a path relative to the checkout. A
user override directory (usually ``<user config dir>/kizuna/templates``) is
searched first when given, so a user may replace any one template by dropping a
file with the same name there.

Names: ``reconnection_<lang>.txt.j2`` and ``thank_you_<lang>.txt.j2`` with
``<lang>`` ``en`` or ``ja``.

Convention: the rendered text starts with one line ``Subject: ...``, then a
blank line, then the body. After rendering, trailing spaces are dropped, runs
of blank lines collapse to one (so optional ``{% if %}`` paragraphs leave no
gaps) and the body ends with a single newline.

Variables (all always defined; missing data is ``""`` or ``None``, and
undefined names are an error, :class:`jinja2.StrictUndefined`):

=================  ==========================================================
``language``       ``"en"`` or ``"ja"``
``name``           the contact's display name, cleaned (may be ``""``)
``email``          the contact's address
``addressee``      who to greet: ``"Jane"`` (en), ``"山田さん"`` (ja, and en
                   for a Japanese name), or ``""`` when unknown
``last_subject``   the last subject, without ``Re:``/``Fwd:``, shortened (``""``)
``elapsed``        :func:`elapsed_in_words` from ``last_contact`` to ``now``
                   (``""`` when unknown; ``""`` in thank-you templates)
``first_year``     the year of ``first_contact`` (``None`` when unknown)
``reason``         :attr:`Profile.reason`, ending in a full stop (may be ``""``)
``display_name``   :attr:`Profile.display_name`
``signature``      :attr:`Profile.signature` (defaults to the display name)
``subject``        thank-you only: the ``Re:`` subject, see :func:`re_subject`
=================  ==========================================================

A missing template, a syntax error, an undefined variable or a rendered text
without the ``Subject:`` line raises :class:`~worker.errors.TemplateError`
naming the template.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from worker.errors import TemplateError
from worker.model import Contact
from worker.outreach.language import (
    LANGUAGES,
    english_first_name,
    is_japanese_text,
    japanese_honorific_name,
)

if TYPE_CHECKING:
    from worker.config import Config

__all__ = [
    "TEMPLATE_PACKAGE",
    "Profile",
    "Draft",
    "template_name",
    "render_reconnection",
    "render_template",
    "re_subject",
    "base_context",
    "check_language",
    "elapsed_in_words",
]

TEMPLATE_PACKAGE = "worker.defaults.templates"
_SUBJECT_MAX = 80  # a last subject longer than this is shortened in the greeting

# Reply and forward prefixes as mail clients write them: "Re:", "RE:", "Re[2]:",
# "Re(2):", "AW:" (German), "SV:"/"VS:" (Nordic), "Fwd:", "FW:", full-width "Ｒｅ：".
_REPLY_PREFIX_RE = re.compile(
    r"^\s*(?:re|ｒｅ|aw|sv|vs|antw)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*", re.IGNORECASE
)
_ANY_PREFIX_RE = re.compile(
    r"^\s*(?:re|ｒｅ|aw|sv|vs|antw|fwd?|ｆｗｄ?|wg|tr)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.IGNORECASE,
)
_SENTENCE_END = tuple(".!?。！？…」』)）")


@dataclass(frozen=True)
class Profile:
    """Who writes and why: from ``[account] display_name`` and ``[outreach] reason``.

    ``signature`` defaults to ``display_name`` when left empty.
    """

    display_name: str
    reason: str
    signature: str = ""

    def __post_init__(self) -> None:
        if not self.signature.strip():
            object.__setattr__(self, "signature", self.display_name)

    @classmethod
    def of(cls, config: Config) -> Profile:
        """The profile a config describes (the display name falls back to the first address)."""
        account = config.account
        return cls(
            display_name=account.display_name or account.addresses[0],
            reason=(
                config.outreach.reason
                if isinstance(config.outreach.reason, str)
                else next(iter(config.outreach.reason.values()), "")
            ),
            signature=config.outreach.signature,
        )


@dataclass(frozen=True)
class Draft:
    """A rendered draft: one-line ``subject``, ``body`` ending in a newline, ``language``."""

    subject: str
    body: str
    language: str


# --- templates ----------------------------------------------------------------


def _load_default(name: str) -> tuple[str, str | None, Callable[[], bool]] | None:
    """Jinja2 loader function for the templates shipped in the package."""
    # Template names are flat file names; refuse anything that looks like a path.
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    resource = importlib.resources.files(TEMPLATE_PACKAGE).joinpath(name)
    if not resource.is_file():
        return None
    return resource.read_text(encoding="utf-8"), None, lambda: True


@functools.lru_cache(maxsize=8)
def _environment(override_dir: Path | None) -> jinja2.Environment:
    """The environment for one override directory (None: package defaults only)."""
    loaders: list[jinja2.BaseLoader] = []
    if override_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(override_dir), encoding="utf-8"))
    loaders.append(jinja2.FunctionLoader(_load_default))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text mail, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def template_name(kind: str, language: str) -> str:
    """``template_name("reconnection", "ja")`` -> ``"reconnection_ja.txt.j2"``."""
    check_language(language)
    return f"{kind}_{language}.txt.j2"


def check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)} (got {language!r})")


def _normalize(text: str) -> str:
    """Drop trailing spaces, collapse blank-line runs, end with one newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    collapsed = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return collapsed + "\n"


def render_template(
    name: str, context: Mapping[str, object], language: str, override_dir: Path | None = None
) -> Draft:
    """Render template ``name`` with ``context`` and split off its ``Subject:`` line.

    Raises :class:`~worker.errors.TemplateError` naming the template when it
    is missing or broken, uses an undefined variable, or lacks the subject line.
    """
    env = _environment(Path(override_dir) if override_dir is not None else None)
    try:
        text = env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {name!r} not found") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"template {name!r} has a syntax error on line {exc.lineno}: {exc.message}"
        ) from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {name!r} uses an undefined value: {exc.message}") from exc
    except Exception as exc:  # a filter or test failing inside the template
        raise TemplateError(f"template {name!r} failed to render: {exc}") from exc

    first, _, rest = text.lstrip("\ufeff\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise TemplateError(f"template {name!r} must start with a 'Subject: ...' line")
    subject = _one_line(first[len("subject:") :])
    body = _normalize(rest)
    if not body.strip():
        raise TemplateError(f"template {name!r} rendered an empty body")
    return Draft(subject=subject, body=body, language=language)


# --- context helpers ----------------------------------------------------------


def _one_line(text: str | None) -> str:
    """Collapse all whitespace (CR and LF included: header injection) to single spaces."""
    return " ".join((text or "").split())


def _strip_prefixes(subject: str, pattern: re.Pattern[str]) -> str:
    previous = None
    while previous != subject:
        previous, subject = subject, pattern.sub("", subject, count=1)
    return subject.strip()


def re_subject(subject: str, language: str = "en") -> str:
    """``"Re: <subject>"`` with any ``Re:`` prefixes (any case, any count) folded into one.

    ``"RE: re: Lunch"`` -> ``"Re: Lunch"``. An empty subject gives ``"Re: Thank you"``
    (``"Re: ありがとうございました"`` in Japanese).
    """
    core = _strip_prefixes(_one_line(subject), _REPLY_PREFIX_RE)
    if not core:
        core = "ありがとうございました" if language == "ja" else "Thank you"
    return f"Re: {core}"


def _clean_last_subject(subject: str) -> str:
    core = _strip_prefixes(_one_line(subject), _ANY_PREFIX_RE)
    if len(core) > _SUBJECT_MAX:
        core = core[: _SUBJECT_MAX - 1].rstrip() + "…"
    return core


def _sentence(text: str) -> str:
    """``text`` stripped, with a full stop added when it has no end mark."""
    cleaned = " ".join(text.split())
    if cleaned and not cleaned.endswith(_SENTENCE_END):
        # The reason's own script decides: an English reason in a Japanese
        # draft still ends with ".".
        cleaned += "。" if is_japanese_text(cleaned) else "."
    return cleaned


def _addressee(name: str, language: str) -> str:
    honorific = japanese_honorific_name(name)
    if language == "ja":
        return honorific or ""
    return english_first_name(name) or honorific or ""


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def base_context(contact: Contact, profile: Profile, language: str) -> dict[str, object]:
    name = _one_line(contact.name)
    return {
        "language": language,
        "name": name,
        "email": contact.email,
        "addressee": _addressee(name, language),
        "last_subject": _clean_last_subject(contact.last_subject),
        "elapsed": "",
        "first_year": _utc(contact.first_contact).year if contact.first_contact else None,
        "reason": _sentence(profile.reason),
        "display_name": _one_line(profile.display_name),
        "signature": profile.signature.strip(),
    }


# --- elapsed time -------------------------------------------------------------

_EN_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
).split()


def _en_number(n: int) -> str:
    return _EN_NUMBERS[n] if 0 <= n < len(_EN_NUMBERS) else str(n)


def elapsed_in_words(start: datetime, end: datetime, language: str) -> str:
    """A friendly, rounded span of time from ``start`` to ``end``.

    ===============  =====================  =============
    span             en                     ja
    ===============  =====================  =============
    < 10 days        a few days             数日
    10-39 days       a few weeks            数週間
    1-10 months      about N months         約Nか月
    11-12 months     about a year           約1年
    13-15 months     over a year            1年以上
    16-20 months     a year and a half      1年半
    21-23 months     almost two years       2年近く
    N years + 0-2 m  about N years          約N年
    N years + 3-8 m  over N years           N年以上
    N years + 9-11 m almost N+1 years       N+1年近く
    ===============  =====================  =============

    Months are rounded to the nearest one (ten years less a day is "about
    ten years"). Naive datetimes are taken as UTC; the order of the two does not matter.
    The Japanese phrases read naturally before ``ぶり`` or ``が経ちました``.
    """
    check_language(language)
    days = abs((_utc(end) - _utc(start)).total_seconds()) / 86400
    months = round(days / (365.2425 / 12))  # to the nearest month: "about" is rounding
    ja = language == "ja"
    if days < 10:
        return "数日" if ja else "a few days"
    if days < 40:
        return "数週間" if ja else "a few weeks"
    if months <= 10:
        if ja:
            return f"約{months}か月"
        return "about a month" if months == 1 else f"about {_en_number(months)} months"
    if months <= 12:
        return "約1年" if ja else "about a year"
    if months <= 15:
        return "1年以上" if ja else "over a year"
    if months <= 20:
        return "1年半" if ja else "a year and a half"
    years, rest = divmod(months, 12)
    if rest >= 9:  # months >= 21 here, so this is "almost two years" and up
        years += 1
        return f"{years}年近く" if ja else f"almost {_en_number(years)} years"
    if rest <= 2:
        return f"約{years}年" if ja else f"about {_en_number(years)} years"
    return f"{years}年以上" if ja else f"over {_en_number(years)} years"


# --- public renderers ---------------------------------------------------------


def render_reconnection(
    contact: Contact,
    profile: Profile,
    language: str,
    now: datetime,
    override_dir: Path | None = None,
) -> Draft:
    """The reconnection draft for ``contact`` (template ``reconnection_<language>.txt.j2``)."""
    check_language(language)
    context = base_context(contact, profile, language)
    if contact.last_contact is not None:
        context["elapsed"] = elapsed_in_words(contact.last_contact, now, language)
    return render_template(template_name("reconnection", language), context, language, override_dir)
