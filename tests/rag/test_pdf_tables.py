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
