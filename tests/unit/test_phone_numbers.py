"""Phone numbers as people write them: "+49 …", "0049 …" (the international call prefix in
place of "+", as many spreadsheets hold them) and national numbers with a default region."""

import pytest

from workflows.customers.profiles import normalise_phone


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("+49 151 23456789", None),
        ("0049 151 23456789", None),
        ("0049-151-23456789", "PT"),
        (" 0049151 23456789 ", None),
        ("0151 23456789", "DE"),
    ],
)
def test_each_form_of_a_german_mobile_number_gives_the_same_e164(
    raw: str, region: str | None
) -> None:
    assert normalise_phone(raw, region) == "+4915123456789"


@pytest.mark.parametrize("raw", ["0049", "000 49 151 23456789", "12"])
def test_what_is_not_a_number_is_refused_naming_what_was_typed(raw: str) -> None:
    with pytest.raises(ValueError, match=repr(raw)):
        normalise_phone(raw, None)
