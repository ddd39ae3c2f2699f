"""Whoosh's query parser as searchkit uses it, for queries with syntax (fields, phrases,
wildcards, operators): plain words are built directly (:func:`.query.plain_words_query`), so
a typical search never imports the parser (start-up time)."""

from __future__ import annotations

from typing import Any

from whoosh import query as Q
from whoosh.qparser import MultifieldPlugin, QueryParser


class FieldsParser(QueryParser):
    """Whoosh's parser, where a word that analyses to several tokens (``well-known``,
    ``COVID-19``) is a phrase in an AND query but, in an OR query (any of the words), its
    tokens are words of the OR like the others: a natural-language question that says
    "heat-transfer" ranks as one that says "heat transfer" did when the index split both."""

    def __init__(self, fieldnames: list[str], schema: Any, *, group: Any, split_words: bool) -> None:
        super().__init__(None, schema, group=group)
        self.add_plugin(MultifieldPlugin(fieldnames))  # what Whoosh's MultifieldParser() does
        self.split_words = split_words

    def multitoken_query(self, spec: str, texts: list[str], fieldname: str, termclass: Any, boost: float) -> Q.Query:
        if self.split_words:
            return Q.Or([termclass(fieldname, t, boost=boost) for t in texts])
        return super().multitoken_query(spec, texts, fieldname, termclass, boost)
