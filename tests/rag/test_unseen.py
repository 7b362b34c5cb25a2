"""Names a question asks about that the corpus never mentions."""

from rag.text import terms
from rag.unseen import Lexicon, acronyms, names, unknown

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


def test_lexicon_finds_words_by_prefix_without_a_scan() -> None:
    lexicon = Lexicon(["postgresql", "postgres", "post", "poster", "pot", "zebra"])
    assert list(lexicon.starting("poster")) == ["poster"]
    assert list(lexicon.starting("postg")) == ["postgres", "postgresql"]
    assert list(lexicon.starting("q")) == []
    assert "pot" in lexicon and "po" not in lexicon and len(lexicon) == 6
    # a longer corpus word and a shorter one both count as the name's short form
    assert (
        unknown("Is Postgr fast?", lexicon) == [] and unknown("Is Postgresqlx fast?", lexicon) == []
    )
