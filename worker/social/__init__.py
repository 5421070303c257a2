"""Social exports: LinkedIn connections and Facebook friends, read and matched to contacts.

Owns the parsers for the files those services export and the name keys that
match their people to the names seen in mail. Parsing and matching are pure;
storing what matched is :mod:`worker.store`'s job.
"""
