"""Names a question asks about that the corpus never mentions."""

from rag.text import terms
from rag.unseen import acronyms, names, unknown

CORPUS = (
    "Memcheck is the default tool. Your program will run much slower (eg. 20 to 30 times). "
    "The Maastricht Treaty was signed in 1992 on x86 machines."
)
VOCABULARY = set(terms(CORPUS))


def test_names_are_words_written_like_names_past_the_first() -> None:
    assert names("How long does make bench take on a Raspberry Pi?") == ["Raspberry", "Pi"]
    assert names("Is x86 supported? What about ARM and iPhone?") == ["x86", "ARM", "iPhone"]
    # A capital that starts the question, a sentence or a quote is not a name.
    assert names('Which tool? "Memcheck" or not?') == []


def test_a_name_no_document_mentions_is_unknown() -> None:
    assert unknown("How much slower does a program run under Cachegrind?", VOCABULARY) == [
        "Cachegrind"
    ]
    assert unknown("How much slower does a program run under Memcheck?", VOCABULARY) == []
    assert unknown("What ran on x86 in the 1990s?", VOCABULARY) == []


def test_a_typing_slip_still_counts_as_mentioned() -> None:
    assert unknown("When was the Maastrich Treaty signed?", VOCABULARY) == []
    postgres = set(terms("PostgreSQL stores rows; a cache holds pages."))
    assert unknown("Which version of Postgres added it?", postgres) == []
    assert unknown("What does Cachegrind measure?", postgres) == ["Cachegrind"]
    # Short words are not matched loosely: "ARM" is not "arm"-ish "are".
    assert unknown("Does it run on ARM?", VOCABULARY) == ["ARM"]


def test_what_a_corpus_abbreviates_is_mentioned() -> None:
    vocabulary = set(terms("The U.S. side met the American Automobile Association.")) | acronyms(
        "The U.S. side met the American Automobile Association."
    )
    assert unknown("What did the US say to the AAA?", vocabulary) == []
    assert unknown("What did the UK say to the AAA?", vocabulary) == ["UK"]
