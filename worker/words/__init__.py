"""Words: the pure language rules behind every text Kizuna writes for a person.

Owns names and how to address someone (family and given names, company and
department prefixes, 様 and さん, Dear and Hi), register read from past mail,
the tone checker, what kind of reply someone sent, and whether they sounded
tired. Everything here is a pure function of text, in English and Japanese:
no I/O, no state, no configuration. May import only the standard library and
:mod:`worker.errors`.
"""
