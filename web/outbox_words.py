"""An outbox message's cause and error as a person reads them ("SLA breach notice for #5 — the
mail server refused the connection"). Causes and errors are stored as codes and raw server text
(the worker's business); the words live here, in one named place, marked for translation."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflows.tracking import workflow_words

TIMER_CAUSE = re.compile(r"^timer:(?P<kind>.+):requirement:(?P<id>\d+)$")
SLA_STEP = re.compile(r"^(?P<metric>[a-z_]+):(?P<step>warning|breach|rung_(?P<rung>\d+))$")
FIXED_CAUSES = {
    "admin:test-email": _l("Test email sent by an admin"),
    "login-backoff": _l("Warning about repeated failed sign-ins"),
    "invitation": _l("Invitation to choose a password"),
}
SMTP_REPLY = re.compile(r"^(?P<code>[45]\d\d)\b(?P<text>.*)$", re.S)
# The worker's errors, from the most specific: (pattern, words).
ERRORS = (
    (re.compile(r"^\S+@\S+: [45]\d\d"), _l("the mail server refused the recipient")),
    (
        re.compile(r"refused|Errno 111|ECONNREFUSED", re.I),
        _l("the mail server refused the connection"),
    ),
    (re.compile(r"timed out|timeout", re.I), _l("the mail server did not answer in time")),
    (
        re.compile(r"Name or service not known|getaddrinfo|nodename", re.I),
        _l("the mail server's name is not known"),
    ),
    (re.compile(r"^no SMTP server", re.I), _l("the mail server could not be reached")),
    (
        re.compile(r"connection lost|closed", re.I),
        _l("the mail server closed the connection midway"),
    ),
    (
        re.compile(r"^could not build the message", re.I),
        _l("the message could not be put together"),
    ),
    (
        re.compile(r"^address not sendable", re.I),
        _l("the address has characters the mail server does not accept"),
    ),
    (re.compile(r"^bounced", re.I), _l("the recipient's mail server sent it back")),
    (re.compile(r"^unsubscribed$"), _l("the recipient unsubscribed")),
    (re.compile(r"^recipient erased$"), _l("the recipient's data was erased")),
    (re.compile(r"^outreach stopped"), _l("the outreach stopped")),
)


def cause_words(cause: str) -> str:
    if cause in FIXED_CAUSES:
        return str(FIXED_CAUSES[cause])
    kind, _sep, rest = cause.partition(":")
    if kind == "reply":
        return _("Reply on #%(id)s", id=rest.rpartition(":")[2])
    if kind == "outreach":
        return _("Outreach step of strategy #%(id)s", id=rest)
    timer = TIMER_CAUSE.match(cause)
    if timer is None:
        return cause.replace("_", " ").replace(":", " ")
    number = timer["id"]
    sla = SLA_STEP.match(timer["kind"])
    if sla is None:
        timer_words = workflow_words.timer_label(timer["kind"])
        return _(
            "%(timer)s for #%(id)s", timer=timer_words[:1].upper() + timer_words[1:], id=number
        )
    metric = workflow_words.metric_label(sla["metric"])
    if sla["rung"]:
        return _(
            "SLA escalation %(rung)s notice for #%(id)s (%(metric)s)",
            rung=sla["rung"],
            id=number,
            metric=metric,
        )
    if sla["step"] == "breach":
        return _("SLA breach notice for #%(id)s (%(metric)s)", id=number, metric=metric)
    return _("SLA at-risk notice for #%(id)s (%(metric)s)", id=number, metric=metric)


def error_words(error: str | None) -> str:
    """Why it has not gone (yet), in words; the raw text stays in the row for the admin."""
    if not error:
        return ""
    reply = SMTP_REPLY.match(error.strip())
    if reply is not None:
        reply_text = reply["code"] + reply["text"].rstrip()[:80]
        if reply["code"].startswith("4"):
            return _("the mail server turned it away for now (%(reply)s)", reply=reply_text)
        return _("the mail server refused it (%(reply)s)", reply=reply_text)
    for pattern, words in ERRORS:
        if pattern.search(error):
            return str(words)
    return error[:120]


def summary(cause: str, error: str | None) -> str:
    """ "SLA breach notice for #5 — the mail server refused the connection"."""
    words = error_words(error)
    return f"{cause_words(cause)} — {words}" if words else cause_words(cause)
