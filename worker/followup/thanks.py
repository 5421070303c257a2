"""The threaded thank-you draft that answers a contact's reply.

Rendered from the user's templates (``thank_you_<language>.txt.j2``) with the
same machinery as reconnection drafts (:mod:`worker.outreach.compose`).
"""

from __future__ import annotations

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

__all__ = ["render_thank_you"]


def render_thank_you(
    contact: Contact,
    profile: Profile,
    language: str,
    reply_subject: str,
    override_dir: Path | None = None,
) -> Draft:
    """The thank-you draft answering ``contact``'s reply (template ``thank_you_<language>.txt.j2``).

    ``reply_subject`` is the subject of the contact's reply; the draft's
    subject is ``"Re: <it>"`` without a doubled ``Re:``.
    """
    check_language(language)
    context = base_context(contact, profile, language)
    context["subject"] = re_subject(reply_subject, language)
    return render_template(template_name("thank_you", language), context, language, override_dir)
