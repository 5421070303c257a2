"""The threaded thank-you draft that answers a contact's reply.

A reply is read for what it does (:func:`worker.words.replies.classify_reply`:
offers help or advice, proposes a time, declines or can't now, simply glad)
and the thank-you answers that: it confirms the proposed time, thanks for the
help with a line for the user to fill in, or accepts a "not now" gracefully and
keeps the door open, as the seed's exit says. The paragraphs come from
:func:`worker.words.replies.thank_you_for`.

The greeting continues the register the two of you used
(:mod:`worker.words.register`): the user's own greeting, as quoted at the
bottom of the reply (the sent reconnection), decides; else the contact's
greeting in the reply; else business mail is formal. A formal history gives
``Dear Mr. Smith,`` / ``山田様`` and Japanese keigo; a casual one ``Hi Mary,`` /
``山田さん`` and plain です・ます — one politeness level per draft.

Rendered from the user's templates (``thank_you_<language>.txt.j2``) with the
same machinery as reconnection drafts (:mod:`worker.outreach.compose`). Besides
compose's variables the templates receive:

=================  ==========================================================
``subject``        the ``Re:`` subject, see :func:`~worker.outreach.compose.re_subject`
``greeting``       ``"Hi Mary,"``, ``"Dear Mr. Smith,"``, ``"山田様"``; ``""`` for
                   a Japanese draft without a name (English has ``"Hello,"``)
``addressee``      the name alone as the greeting writes it (``""`` when none)
``kind``           the reply's kind: ``offers_help``, ``proposes_time``,
                   ``declines``, ``glad_only`` or ``unknown``
``time``           the time they proposed, as they wrote it, or ``""``
``paragraphs``     the thank-you's paragraphs for that kind (a list of strings)
``formal``         True for the formal register
``closing``        ``"Kind regards,"`` / ``"Warm regards,"`` /
                   ``"何卒よろしくお願いいたします。"`` / ``"どうぞよろしくお願いします。"``
=================  ==========================================================

:func:`thank_you_draft` also runs the tone checker over the rendered subject and
body (Kizuna's own sentences never warn): the caller logs the warnings; they
never go into the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from worker.model import Contact
from worker.outreach.compose import (
    Draft,
    Profile,
    base_context,
    check_language,
    re_subject,
    render_template,
    template_name,
)
from worker.words.history import is_free_mail
from worker.words.names import parse_name
from worker.words.register import Register, addressee, greeting_line, register_from
from worker.words.replies import ReplyKind, ReplyReading, classify_reply, thank_you_for
from worker.words.tone import ToneWarning, check_tone

__all__ = [
    "ThankYouDraft",
    "quoted_text",
    "reply_register",
    "render_thank_you",
    "thank_you_draft",
]

_CLOSINGS = {
    ("en", True): "Kind regards,",
    ("en", False): "Warm regards,",
    ("ja", True): "何卒よろしくお願いいたします。",
    ("ja", False): "どうぞよろしくお願いします。",
}


@dataclass(frozen=True)
class ThankYouDraft:
    """A rendered thank-you, what it answers, and the tone checker's findings."""

    draft: Draft
    reading: ReplyReading
    register: Register
    warnings: tuple[ToneWarning, ...] = ()

    @property
    def kind(self) -> ReplyKind:
        return self.reading.kind


def quoted_text(text: str) -> str:
    """The ``>``-quoted part of a reply with one level of quoting removed.

    That is usually the user's own message, so its greeting says how the user
    greets this contact.

    >>> quoted_text("Sure!\\n\\nOn Mon, Me wrote:\\n> Hi Alice,\\n>\\n> >old")
    'Hi Alice,\\n\\n>old'
    """
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.lstrip()
        if stripped.startswith((">", "＞")):
            lines.append(stripped[1:].removeprefix(" "))
    return "\n".join(lines).strip("\n")


def reply_register(contact: Contact, reply_text: str, new_text: str) -> Register:
    """The register of a thank-you to ``contact``, from their reply.

    ``reply_text`` is the whole reply (its quoted part holds the user's own
    greeting), ``new_text`` the contact's own words (their greeting).
    """
    person = parse_name(contact.name, contact.email)
    mine = [q for q in (quoted_text(reply_text),) if q.strip()]
    theirs = [new_text] if new_text.strip() else []
    domain = contact.email.rpartition("@")[2]
    business = bool(domain) and "." in domain and not is_free_mail(domain)
    return register_from(mine, theirs, person, business=business)


def _context(
    contact: Contact,
    profile: Profile,
    language: str,
    reply_subject: str,
    reading: ReplyReading,
    register: Register,
) -> dict[str, object]:
    person = parse_name(contact.name, contact.email)
    level = "formal" if register.formal else "polite"
    thanks = thank_you_for(reading.kind, language, level, time_phrase=reading.time_phrase)
    context = base_context(contact, profile, language)
    context.update(
        subject=re_subject(reply_subject, language),
        greeting=greeting_line(register, person, language) or "",
        addressee=addressee(register, person, language) or "",
        kind=reading.kind.value,
        time=reading.time_phrase or "",
        paragraphs=list(thanks.paragraphs),
        formal=register.formal,
        closing=_CLOSINGS[(language, register.formal)],
    )
    return context


def thank_you_draft(
    contact: Contact,
    profile: Profile,
    language: str,
    reply_subject: str,
    *,
    new_text: str = "",
    reply_text: str = "",
    override_dir: Path | None = None,
) -> ThankYouDraft:
    """The thank-you answering ``contact``'s reply, with its reading, register and tone warnings.

    ``new_text`` is the reply's own words (quotes and signature stripped,
    :func:`worker.mail.replyparse.strip_quoted`), ``reply_text`` the whole
    plain-text body. Without them the thank-you is the general one (kind
    ``unknown``) in the register business mail or a private address suggests.
    """
    check_language(language)
    reading = classify_reply(new_text)
    register = reply_register(contact, reply_text or new_text, new_text)
    context = _context(contact, profile, language, reply_subject, reading, register)
    draft = render_template(template_name("thank_you", language), context, language, override_dir)
    fixed = [str(context["greeting"]), str(context["closing"]), profile.signature]
    warnings = check_tone(draft.body, draft.subject, language=language, kizuna_text=fixed)
    return ThankYouDraft(draft, reading, register, tuple(warnings))


def render_thank_you(
    contact: Contact,
    profile: Profile,
    language: str,
    reply_subject: str,
    override_dir: Path | None = None,
    *,
    new_text: str = "",
    reply_text: str = "",
) -> Draft:
    """The thank-you draft answering ``contact``'s reply (template ``thank_you_<language>.txt.j2``).

    ``reply_subject`` is the subject of the contact's reply; the draft's
    subject is ``"Re: <it>"`` without a doubled ``Re:``. See
    :func:`thank_you_draft` for ``new_text`` and ``reply_text``.
    """
    return thank_you_draft(
        contact,
        profile,
        language,
        reply_subject,
        new_text=new_text,
        reply_text=reply_text,
        override_dir=override_dir,
    ).draft
