"""Outbox causes and errors in words, as the admin's outbox page shows them."""

import pytest

from web.outbox_words import cause_words, error_words, summary


@pytest.mark.parametrize(
    ("cause", "words"),
    [
        ("timer:first_response:breach:requirement:5", "SLA breach notice for #5 (first response)"),
        ("timer:resolution:warning:requirement:7", "SLA at-risk notice for #7 (resolution)"),
        (
            "timer:next_response:rung_2:requirement:9",
            "SLA escalation 2 notice for #9 (next response)",
        ),
        ("timer:customer_reminder_1:requirement:3", "First reminder to the customer for #3"),
        ("reply:requirement:12", "Reply on #12"),
        ("outreach:4", "Outreach step of strategy #4"),
        ("admin:test-email", "Test email sent by an admin"),
    ],
)
def test_causes_in_words(cause: str, words: str) -> None:
    assert cause_words(cause) == words


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (
            "no SMTP server: [Errno 111] Connection refused",
            "the mail server refused the connection",
        ),
        ("no SMTP server: timed out", "the mail server did not answer in time"),
        ("550 5.1.1 no such user", "the mail server refused it (550 5.1.1 no such user)"),
        ("451 try later", "the mail server turned it away for now (451 try later)"),
        ("ana@example.com: 550 unknown", "the mail server refused the recipient"),
        (None, ""),
    ],
)
def test_errors_in_words(error: str | None, words: str) -> None:
    assert error_words(error) == words


def test_summary_joins_cause_and_reason() -> None:
    assert summary("timer:first_response:breach:requirement:5", "no SMTP server: refused") == (
        "SLA breach notice for #5 (first response) — the mail server refused the connection"
    )
