"""Tables rebuilt from column boxes, on hand-made boxes (the real PDF is in test_parse_real)."""

from dataclasses import dataclass, field

from rag.pdf_tables import find_tables


@dataclass
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    lines: list[str] = field(default_factory=list)


def test_columns_side_by_side_become_rows_under_their_headers() -> None:
    boxes = [
        Box(50, 700, 500, 740, ["A paragraph of prose above the table, long enough to be prose."]),
        Box(50, 660, 80, 672, ["Year"]),
        Box(120, 660, 170, 672, ["Sales"]),
        Box(50, 600, 80, 654, ["2021", "2022", "2023"]),
        Box(120, 600, 170, 654, ["12.5", "13.1", "9.8"]),
    ]
    [table] = find_tables(boxes)
    assert table.rows == (
        "Year 2021 | Sales 12.5",
        "Year 2022 | Sales 13.1",
        "Year 2023 | Sales 9.8",
    )
    assert table.members == (1, 2, 3, 4)


def test_short_word_lists_or_misaligned_boxes_are_not_tables() -> None:
    words = [
        Box(50, 600, 80, 654, ["alpha", "beta", "gamma"]),
        Box(120, 600, 170, 654, ["a", "b", "c"]),
    ]
    assert find_tables(words) == []  # no column of figures
    shifted = [Box(50, 600, 80, 654, ["1", "2", "3"]), Box(120, 500, 170, 554, ["4", "5", "6"])]
    assert find_tables(shifted) == []  # not over the same rows


def test_a_column_of_options_beside_their_descriptions_pairs_row_by_row() -> None:
    # libtasn1's manual (Texinfo): the options and what they do are two boxes over the same rows.
    boxes = [
        Box(101, 472, 199, 535, ["-c, --check", "-o, --output=FILE", "-h, --help"]),
        Box(227, 472, 428, 535, ["checks the syntax only", "output file", "display this help"]),
    ]
    [table] = find_tables(boxes)
    assert table.rows == (
        "-c, --check: checks the syntax only",
        "-o, --output=FILE: output file",
        "-h, --help: display this help",
    )
    assert table.members == (0, 1)


def test_terms_pair_only_with_one_box_of_as_many_lines_to_their_right() -> None:
    terms = Box(101, 472, 199, 535, ["-c, --check", "-o, --output=FILE", "-h, --help"])
    fewer = Box(227, 472, 428, 535, ["checks the syntax only", "output file"])
    left = Box(10, 472, 90, 535, ["checks the syntax only", "output file", "display this help"])
    assert find_tables([terms, fewer]) == []  # not the same rows
    assert find_tables([terms, left]) == []  # descriptions stand right of their terms
    two = Box(440, 472, 560, 535, ["one more column", "of prose lines", "beside them all"])
    full = Box(227, 472, 428, 535, ["checks the syntax only", "output file", "display help"])
    assert find_tables([terms, full, two]) == []  # three boxes in a row: not a term list
