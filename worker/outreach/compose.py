"""Render reconnection and thank-you drafts from Jinja2 templates.

This module is long because it documents every template variable beside the
code that fills it: users edit the templates, and this is their reference.

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
undefined names are an error, :class:`jinja2.StrictUndefined`). Every template:

=================  ==========================================================
``language``       ``"en"`` or ``"ja"``
``name``           the contact's display name, cleaned (may be ``""``)
``email``          the contact's address
``addressee``      the person as the greeting names them, never with a
                   company: ``"Mr. Smith"``, ``"Mary"``, ``"Yamada-san"``
                   (en), ``"山田様"``, ``"太郎さん"`` (ja); ``""`` when unknown
``last_subject``   the last subject, without ``Re:``/``Fwd:``, shortened (``""``)
``elapsed``        :func:`elapsed_in_words` from ``last_contact`` to ``now``
                   (``""`` when unknown; ``""`` in thank-you templates)
``first_year``     the year of ``first_contact`` (``None`` when unknown)
``reason``         the draft's whole reason as one sentence (may be ``""``)
``display_name``   :attr:`Profile.display_name`
``signature``      :attr:`Profile.signature` (defaults to the display name)
``subject``        thank-you only: the ``Re:`` subject, see :func:`re_subject`
=================  ==========================================================

Reconnection templates also get (see :func:`reconnection_context`), each
worded from the shared history (:mod:`worker.words`), in the draft's
language and register, chosen per contact among several phrasings:

=================  ==========================================================
``subject_line``   the subject: who you are to them, through what you shared
                   (``Sam Carter (Berlin conference): a question``,
                   ``ご無沙汰しております（勉強会でお世話になったSam Carterです）``)
``greeting``       the first line: ``Dear Mr. Smith,``, ``Hi Mary,``,
                   ``Hello,``, ``山田様``; ``""`` (ja) when no name is known
``formal``         True for a formal history (Dear/様), False for a casual one
``opening``        the warm first sentence(s), never an apology: ``I hope
                   you're well.``; ``ご無沙汰しております。勉強会でお世話に
                   なりましたSam Carterです。``
``last_wrote``     when (and about what) you last wrote, in words, never a
                   quoted subject: ``We last wrote in spring 2016, about the
                   Berlin conference.``
``wellbeing``      ja: ``お変わりなくお過ごしでしょうか。``/``お元気ですか。``; en ``""``
``situation``      your situation, the reason's first part (``""`` without a reason)
``ask``            what you'd like from them, the reason's second part, as
                   you wrote it (``""`` when the reason has one part)
``request``        Kizuna's request sentence for what the reason asks
                   (:mod:`worker.words.requests`), used when ``ask`` is ``""``
``exit``           the graceful way out that fits the request
``closing``        the closing line: ``Best regards,``/``Best,``,
                   ``何卒よろしくお願いいたします。``/``どうぞよろしくお願いします。``
``topic``          the shared topic in words (``the Berlin conference``) or ``""``
``when``           when you last wrote in words (``in spring 2016``) or ``""``
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
from worker.outreach.reasons import Reason, sentence
from worker.words.history import HistoryFacts, history_facts
from worker.words.language import LANGUAGES, choose
from worker.words.names import parse_name
from worker.words.phrasing import (
    japanese_opening,
    last_wrote,
    subject_line,
    topic_words,
    when_words,
)
from worker.words.register import Formality, Register, addressee, closing, greeting_line
from worker.words.requests import AskKind, asks_already, request_for

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
    "reconnection_context",
    "kizuna_text",
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

    ``reason`` is the configured reason, one text or a table by language
    (:func:`worker.outreach.reasons.pick_reason` chooses per draft).
    ``signature`` defaults to ``display_name`` when left empty.
    """

    display_name: str
    reason: str | Mapping[str, str]
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
            reason=config.outreach.reason,
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


def _config_reason(profile: Profile, language: str) -> str:
    """The configured reason for ``language`` (the other language's when it has none)."""
    if isinstance(profile.reason, str):
        return profile.reason
    return profile.reason.get(language) or next(iter(profile.reason.values()), "")


def _plain_addressee(name: str, email: str, language: str) -> str:
    """The person, addressed casually (さん, given name): no company is ever a name."""
    person = parse_name(name, email)
    return addressee(Register(Formality.CASUAL, "さん"), person, language) or ""


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def base_context(contact: Contact, profile: Profile, language: str) -> dict[str, object]:
    name = _one_line(contact.name)
    return {
        "language": language,
        "name": name,
        "email": contact.email,
        "addressee": _plain_addressee(name, contact.email, language),
        "last_subject": _clean_last_subject(contact.last_subject),
        "elapsed": "",
        "first_year": _utc(contact.first_contact).year if contact.first_contact else None,
        "reason": sentence(_config_reason(profile, language)),
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


_EN_HOPES = {
    True: (
        "I hope you are well.",
        "I hope this note finds you well.",
        "I hope all is well with you.",
    ),
    False: ("I hope you're well.", "I hope all is well with you.", "I hope this finds you well."),
}
_JA_WELLBEING = {
    True: ("お変わりなくお過ごしでしょうか。", "その後、お変わりありませんでしょうか。"),
    False: ("お元気ですか。", "その後、お変わりありませんか。"),
}
# The subject's short purpose, by what the reason asks (English only: a
# Japanese subject introduces the sender through the shared context).
_EN_PURPOSE = {
    AskKind.ADVICE: "a question",
    AskKind.INTRODUCTION: "a small favour",
    AskKind.WORK: "an idea for working together",
    AskKind.MEETING: "",
    AskKind.CATCH_UP: "",
}


def reconnection_context(
    contact: Contact,
    profile: Profile,
    language: str,
    now: datetime,
    *,
    facts: HistoryFacts,
    reason: Reason | None,
    role: str | None = None,
) -> dict[str, object]:
    """Every variable of a reconnection template (module docstring), from the shared history.

    ``facts`` is what past mail says (:func:`worker.words.history.history_facts`);
    ``reason`` the draft's reason (:func:`worker.outreach.reasons.pick_reason`), or None;
    ``role`` a sentence on where they work now, from a LinkedIn export
    (:func:`worker.social.drafting.role_line`), or None.
    """
    check_language(language)
    context = base_context(contact, profile, language)
    key = contact.email
    register = facts.register
    person = facts.name if facts.name.is_person else parse_name(contact.name, contact.email)
    sender = _one_line(profile.display_name)
    ja = language == "ja"
    last = facts.last or contact.last_contact
    topic = facts.topic
    words = topic_words(topic, language) if topic else None
    if ja:
        # The opening names the shared topic when it can; then "when" needs no topic again.
        opening = japanese_opening(register, sender, topic if words else None)
        wrote = last_wrote(language, register, key, last, now, None if words else topic)
        wellbeing = choose(_JA_WELLBEING[register.formal], key, "wellbeing")
    else:
        opening = choose(_EN_HOPES[register.formal], key, "opening")
        wrote = last_wrote(language, register, key, last, now, topic)
        wellbeing = ""
    kind = reason.kind if reason else AskKind.CATCH_UP
    level = "formal" if register.formal else "polite"
    request = request_for(kind, language, level)
    purpose = "" if ja else _EN_PURPOSE[kind]
    name_line = greeting_line(register, person, language) or ""
    context.update(
        {
            "addressee": addressee(register, person, language) or "",
            "reason": reason.situation + (" " + reason.ask if reason.ask else "") if reason else "",
            "subject_line": subject_line(
                language, register, key, sender, topic=topic, purpose=purpose
            ),
            "greeting": name_line,
            "formal": register.formal,
            "opening": opening,
            "last_wrote": wrote,
            "wellbeing": wellbeing,
            "situation": reason.situation if reason else "",
            "ask": reason.ask if reason else "",
            # a one-part reason that already asks needs no second request of Kizuna's
            "request": (
                ""
                if reason and not reason.ask and asks_already(reason.situation)
                else request.request
            ),
            "exit": request.exit,
            "closing": closing(register, language, key),
            "topic": words or "",
            "when": when_words(last, now, language) if last else "",
            "role": role or "",
        }
    )
    if last is not None:
        context["elapsed"] = elapsed_in_words(last, now, language)
    return context


def kizuna_text(
    context: Mapping[str, object], language: str, override_dir: Path | None = None
) -> list[str]:
    """The lines of a reconnection draft that are Kizuna's (or the template's), not the user's.

    The template rendered without the user's words (reason, situation, ask):
    what is left is Kizuna's text, which the tone checker leaves alone.
    """
    bare = dict(context, reason="", situation="", ask="")
    draft = render_template(template_name("reconnection", language), bare, language, override_dir)
    lines = [draft.subject, *draft.body.split("\n")]
    return [line.strip() for line in lines if line.strip()]


def render_reconnection(
    contact: Contact,
    profile: Profile,
    language: str,
    now: datetime,
    override_dir: Path | None = None,
    *,
    facts: HistoryFacts | None = None,
    reason: Reason | None = None,
) -> Draft:
    """The reconnection draft for ``contact`` (template ``reconnection_<language>.txt.j2``).

    Without ``facts`` (no history read), the history is what the contact
    index knows; without ``reason``, the configured one for ``language``.
    """
    check_language(language)
    if facts is None:
        facts = history_facts([], email=contact.email, name=contact.name)
    if reason is None:
        configured = _config_reason(profile, language)
        reason = Reason.of(configured, "config") if configured.strip() else None
    context = reconnection_context(contact, profile, language, now, facts=facts, reason=reason)
    return render_template(template_name("reconnection", language), context, language, override_dir)
