"""An outbox message's cause and error as a person reads them ("SLA breach notice for #5 — the
mail server refused the connection"). Causes and errors are stored as codes and raw server text
(the worker's business); the words live here, in one named place, for a later translation."""

import re

from workflows.tracking import workflow_words

TIMER_CAUSE = re.compile(r"^timer:(?P<kind>.+):requirement:(?P<id>\d+)$")
SLA_STEP = re.compile(r"^(?P<metric>[a-z_]+):(?P<step>warning|breach|rung_(?P<rung>\d+))$")
FIXED_CAUSES = {
    "admin:test-email": "Test email sent by an admin",
    "login-backoff": "Warning about repeated failed sign-ins",
    "invitation": "Invitation to choose a password",
}
SMTP_REPLY = re.compile(r"^(?P<code>[45]\d\d)\b(?P<text>.*)$", re.S)
# The worker's errors, from the most specific: (pattern, words).
ERRORS = (
    (re.compile(r"^\S+@\S+: [45]\d\d"), "the mail server refused the recipient"),
    (re.compile(r"refused|Errno 111|ECONNREFUSED", re.I), "the mail server refused the connection"),
    (re.compile(r"timed out|timeout", re.I), "the mail server did not answer in time"),
    (
        re.compile(r"Name or service not known|getaddrinfo|nodename", re.I),
        "the mail server's name is not known",
    ),
    (re.compile(r"^no SMTP server", re.I), "the mail server could not be reached"),
    (re.compile(r"connection lost|closed", re.I), "the mail server closed the connection midway"),
    (re.compile(r"^could not build the message", re.I), "the message could not be put together"),
    (
        re.compile(r"^address not sendable", re.I),
        "the address has characters the mail server does not accept",
    ),
    (re.compile(r"^bounced", re.I), "the recipient's mail server sent it back"),
    (re.compile(r"^unsubscribed$"), "the recipient unsubscribed"),
    (re.compile(r"^recipient erased$"), "the recipient's data was erased"),
    (re.compile(r"^outreach stopped"), "the outreach stopped"),
)


def cause_words(cause: str) -> str:
    if cause in FIXED_CAUSES:
        return FIXED_CAUSES[cause]
    kind, _, rest = cause.partition(":")
    if kind == "reply":
        return f"Reply on #{rest.rpartition(':')[2]}"
    if kind == "outreach":
        return f"Outreach step of strategy #{rest}"
    timer = TIMER_CAUSE.match(cause)
    if timer is None:
        return cause.replace("_", " ").replace(":", " ")
    number = timer["id"]
    sla = SLA_STEP.match(timer["kind"])
    if sla is None:
        return f"{workflow_words.timer_label(timer['kind']).capitalize()} for #{number}"
    metric = workflow_words.SLA_METRICS.get(sla["metric"], sla["metric"].replace("_", " "))
    if sla["rung"]:
        return f"SLA escalation {sla['rung']} notice for #{number} ({metric})"
    what = "breach" if sla["step"] == "breach" else "at-risk"
    return f"SLA {what} notice for #{number} ({metric})"


def error_words(error: str | None) -> str:
    """Why it has not gone (yet), in words; the raw text stays in the row for the admin."""
    if not error:
        return ""
    reply = SMTP_REPLY.match(error.strip())
    if reply is not None:
        temporary = reply["code"].startswith("4")
        why = "turned it away for now" if temporary else "refused it"
        return f"the mail server {why} ({reply['code']}{reply['text'].rstrip()[:80]})"
    for pattern, words in ERRORS:
        if pattern.search(error):
            return words
    return error[:120]


def summary(cause: str, error: str | None) -> str:
    """ "SLA breach notice for #5 — the mail server refused the connection"."""
    words = error_words(error)
    return f"{cause_words(cause)} — {words}" if words else cause_words(cause)
