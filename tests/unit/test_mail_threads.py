"""Signed reply addresses and thread Message-IDs."""

import pytest

from workflows.platform.mail_threads import (
    reply_address,
    thread_message_id,
    thread_of,
    threads_referenced,
)

SECRET = "s3cret"


def test_reply_address_leads_back_to_its_thread() -> None:
    address = reply_address("support@help.example.com", "r42", SECRET)
    assert address.startswith("support+r42-") and address.endswith("@help.example.com")
    assert thread_of(address, SECRET) == "r42"
    assert thread_of(f"Ana <{address}>".split("<")[1], SECRET) == "r42"


def test_reply_address_survives_a_lower_casing_server() -> None:
    address = reply_address("Support@Help.example.com", "r7", SECRET)
    assert thread_of(address.lower(), SECRET) == "r7"


def test_forged_or_foreign_addresses_name_no_thread() -> None:
    genuine = reply_address("support@x.org", "r42", SECRET)
    forged = genuine.replace("+r42-", "+r43-")
    assert thread_of(forged, SECRET) is None
    assert thread_of(genuine, "another secret") is None
    assert thread_of("support@x.org", SECRET) is None
    assert thread_of("support+r42@x.org", SECRET) is None
    assert thread_of("not an address", SECRET) is None


def test_thread_key_must_be_short_and_plain() -> None:
    with pytest.raises(ValueError, match="thread key"):
        reply_address("support@x.org", "R42", SECRET)
    with pytest.raises(ValueError, match="thread key"):
        reply_address("support@x.org", "r-42", SECRET)


def test_thread_ids_are_found_in_references_of_our_domain_only() -> None:
    root = thread_message_id("r42", "help.example.com")
    assert root == "<thread-r42@help.example.com>"
    refs = f"<abc@gmail.com> {root} <thread-r9@elsewhere.org>"
    assert threads_referenced(refs, "help.example.com") == ["r42"]
    assert threads_referenced("", "help.example.com") == []
