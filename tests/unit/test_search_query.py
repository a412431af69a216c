"""The documented query syntax, parsed once for every engine."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.errors import InvalidInput
from ledger.store.memory_search import stem
from ledger.store.search_index import Term, fold, parse_query, tokens


def test_words_phrases_prefixes_and_or() -> None:
    assert parse_query('Pantsir-S1 "air  Defense" pant* OR Peskov\'s') == (
        (Term(("pantsir", "s1")), Term(("air", "defense")), Term(("pant",), prefix=True)),
        (Term(("peskov", "s")),),
    )
    assert parse_query('"wall street j"*') == ((Term(("wall", "street", "j"), prefix=True),),)
    assert parse_query("or and") == ((Term(("or",)), Term(("and",))),)  # lower case: words


@pytest.mark.parametrize(
    "query", ['"open', "*", "a**b", "OR a", "a OR", "a OR OR b", "", "  ", "!!", 'a"b"c']
)
def test_what_cannot_be_parsed_is_refused(query: str) -> None:
    with pytest.raises(InvalidInput):
        parse_query(query)


def test_words_fold_case_and_diacritics() -> None:
    assert tokens("Sergueï CHOÏGOU, 2023") == ["serguei", "choigou", "2023"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=127))))
def test_folding_is_decomposition_without_marks_then_lower_case(text: str) -> None:
    # The model: NFKD, drop the combining marks, lower case (ASCII takes a shortcut).
    decomposed = unicodedata.normalize("NFKD", text)
    assert fold(text) == "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def test_the_memory_stemmer_joins_the_forms_of_a_verb() -> None:
    assert stem("denied") == stem("denies") == stem("deny") == stem("denying")
    assert stem("missile") == stem("missiles") != stem("miss")


def test_the_spelled_out_json_paths_follow_the_field_names() -> None:
    # The statements are constants; the paths in them must follow search_index.FIELD_NAMES.
    from ledger.store.search_index import SEQ_BITS
    from ledger.store.sql import search

    assert search._PATH_SQLITE == search._path_sqlite()
    assert search._PATH_PG == search._path_pg()
    assert SEQ_BITS == 20  # written into the statements as `>> 20`
