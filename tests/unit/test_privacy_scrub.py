"""The contact-point scrub finds whole addresses and numbers, not look-alikes; masks."""

from workflows.privacy.masking import mask_email, mask_phone
from workflows.privacy.scrub import scrub_json, scrub_text

IDS = ("ana@example.com", "+4930123456")


def test_lines_mentioning_an_identifier_become_erased_and_the_rest_stay() -> None:
    text = "Hi\nmail ANA@example.com.\nor +4930123456 today\nbana@example.com\nana@example.com.br"
    assert scrub_text(text, IDS) == "Hi\n[erased]\n[erased]\nbana@example.com\nana@example.com.br"
    assert scrub_text("+49301234567", IDS) == "+49301234567"  # a longer number


def test_json_values_and_keys_are_scrubbed() -> None:
    value = {"to": ["ana@example.com", "bo@example.com"], "ana@example.com": 1, "n": 3}
    assert scrub_json(value, IDS) == {"to": ["[erased]", "bo@example.com"], "[erased]": 1, "n": 3}


def test_masks_keep_a_hint_of_the_contact_point() -> None:
    assert mask_email("alice@example.com") == "a***@example.com"
    assert mask_phone("+8613800138000") == "+86 138****8000"
    assert mask_phone("+4930123456") == "+49 301*3456"
    assert mask_email(None) is None and mask_phone("") == ""
