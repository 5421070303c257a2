"""Social exports: LinkedIn connections and Facebook friends, read and matched to contacts.

Owns the readers for the files those services export (:mod:`.linkedin`,
:mod:`.facebook`, the zip and folder search in :mod:`.files`), the records
they yield (:mod:`.people`), the name keys that match their people to the
names seen in mail (:mod:`.match`), and the rule and words for how a draft
may mention someone's company and position (:mod:`.recency`). Matching and
the words are pure; the readers only read the file they are given. Storing
what matched is :mod:`worker.store`'s job (:mod:`worker.store.social`),
bringing an export in is :mod:`.importer`'s, and the sentence a draft may
say is :mod:`.drafting`'s: those two use the state. The rest may import only
the standard library, :mod:`worker.errors` and :mod:`worker.model` (where
:class:`Source` lives, so the state shares it).
"""

from worker.social.facebook import read_facebook, repair_mojibake
from worker.social.linkedin import read_linkedin
from worker.social.match import (
    Ambiguous,
    Match,
    MatchedBy,
    MatchResult,
    SharedBy,
    match_people,
    name_keys,
    person_keys,
)
from worker.social.people import Export, NotAnExport, Person, Progress, Source
from worker.social.recency import Recency, is_new_role, recency, role_sentence

__all__ = [
    "Source",
    "Person",
    "Export",
    "NotAnExport",
    "Progress",
    "read_linkedin",
    "read_facebook",
    "repair_mojibake",
    "name_keys",
    "person_keys",
    "match_people",
    "MatchResult",
    "Match",
    "MatchedBy",
    "Ambiguous",
    "SharedBy",
    "Recency",
    "recency",
    "is_new_role",
    "role_sentence",
]
