"""Accent folding for search: Latin letters lose their marks, strokes and ligatures; CJK stays."""

import pytest

from workflows.platform.text_folding import fold, fold_with_positions, with_folded


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("José", "Jose"),
        ("Núñez", "Nunez"),
        ("Müller", "Muller"),
        ("Ångström", "Angstrom"),
        ("Straße", "Strasse"),
        ("Søren Ærø", "Soren AEro"),
        ("Łódź", "Lodz"),
        ("Œuvre", "OEuvre"),
    ],
)
def test_folds_latin_letters_to_what_people_type(written: str, typed: str) -> None:
    assert fold(written) == typed
    assert fold(typed) == typed


def test_cjk_hangul_and_kana_stay_as_written() -> None:
    text = "北京市 서울 ｶﾀｶﾅ カタカナ"
    assert fold(text) == text
    assert with_folded(text) == text


def test_positions_lead_back_to_the_original_characters() -> None:
    folded, positions = fold_with_positions("aß é")
    assert folded == "ass e"
    assert positions == [0, 1, 1, 2, 3]


def test_a_document_gains_folded_copies_of_the_lines_folding_changes() -> None:
    assert with_folded("José Núñez\nplain line\nMüller") == (
        "José Núñez\nplain line\nMüller\nJose Nunez\nMuller"
    )
    assert with_folded("plain only") == "plain only"


@pytest.mark.parametrize(
    "text",
    ["", "plain ascii", "ascii then Núñez", "Ærø ß中é", "a\u0301b", "Straße\nMüller 12 \u0131"],
)
def test_positions_are_those_of_folding_one_character_at_a_time(text: str) -> None:
    """The fast path (ASCII runs copied whole) gives what folding each character gives."""
    folded, positions = fold_with_positions(text)
    expected = [i for i, char in enumerate(text) for _ in fold(char)]
    assert folded == fold(text)
    assert list(positions) == expected
