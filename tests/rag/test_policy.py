"""The value lead and its copy check (the rules `choose` applies are tested end to end in
test_generate.py against a fake OpenAI server)."""

import pytest

from rag.policy import lead_copied, value_lead


@pytest.mark.parametrize(
    ("answer", "lead"),
    [
        ("$500 million [1]. The MoU sets in motion a $500 million initiative [1].", "$500 million"),
        ("476 AD [2].", "476 AD"),
        ("Normandy [1].", "Normandy"),
        # A whole sentence is not a lead; nor is text without a citation.
        ("The Western Roman Empire fell in 476 AD when Odoacer deposed the emperor [1].", None),
        ("476 AD.", None),
        ("I don't know based on the provided sources.", None),
    ],
)
def test_value_lead(answer: str, lead: str | None) -> None:
    assert value_lead(answer) == lead


@pytest.mark.parametrize(
    ("lead", "quote", "copied"),
    [
        ("476 AD", "The empire fell in 476 AD to Odoacer.", True),
        ("twenty children", "He fathered Twenty  children.", True),  # case and spacing
        ("92 minerals", "with 92 identified minerals", True),  # only the sentence's own words
        ("8 Sept 2025", "signed on September 8, 2025, in Islamabad", False),
        ("$900 million", "a $500 million initiative", False),
    ],
)
def test_lead_copied(lead: str, quote: str, copied: bool) -> None:
    assert lead_copied(lead, quote) is copied
