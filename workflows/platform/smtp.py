"""One SMTP connection kept open across messages, and what the server said to each message.

The outbox's sender keeps one per worker process (DESIGN.md §6): a new connection per message
costs a TCP handshake, a greeting and EHLO (and TLS and a login, where configured), which was
most of the time per message. Refusals are answers, not exceptions: a refused recipient, a 4xx
or a 5xx for one message is reported in its `Outcome` and the connection stays usable (RSET).
"""

import smtplib
import time
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses, parseaddr

# A connection idle this long may have been closed by the server: check it with NOOP first.
IDLE_CHECK_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    use_ssl: bool = False
    timeout: float = 10.0


@dataclass(frozen=True)
class Outcome:
    """What became of one message. `accepted`: the server answered 250 to its data, so it is
    delivered (to the recipients not in `refused`). Otherwise `transient` says whether trying
    again later may help (4xx, a lost connection) or not (5xx)."""

    accepted: bool
    transient: bool = False
    error: str | None = None
    refused: dict[str, str] = field(default_factory=dict)


class SmtpUnavailable(Exception):
    """No connection to the SMTP server could be made; no message was sent on it."""


def recipients(message: Message) -> list[str]:
    """Envelope recipients: To, Cc and Bcc (the Bcc field is then removed from the message)."""
    fields = [str(value) for name in ("To", "Cc", "Bcc") for value in message.get_all(name, [])]
    del message["Bcc"]
    return [address for _, address in getaddresses(fields) if address]


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {text}".strip()


class SmtpConnection:
    """A reusable connection to the configured server (one per process; not thread-safe)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp_class = smtplib.SMTP_SSL if s.use_ssl else smtplib.SMTP
        try:
            smtp = smtp_class(s.host, s.port, timeout=s.timeout)
            if s.use_tls:
                smtp.starttls()
            if s.username:
                smtp.login(s.username, s.password or "")
            smtp.ehlo_or_helo_if_needed()
        except (smtplib.SMTPException, OSError) as exc:
            raise SmtpUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return smtp

    def _usable(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._last_used > IDLE_CHECK_SECONDS:
            try:
                self._smtp.noop()
            except (smtplib.SMTPException, OSError):
                self.close()
        if self._smtp is None:
            self._smtp = self._connect()
            self._last_used = time.monotonic()
        return self._smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def deliver(self, message: Message, sender: str) -> Outcome:
        """Send `message`; raises SmtpUnavailable only when no connection can be made.

        A connection found closed before the data was sent is replaced and the message tried
        once more on the new one (nothing of it was delivered yet). A connection lost during
        the data is not: the server may have accepted the message, so it is reported transient
        and tried again later, with the same Message-ID."""
        to = recipients(message)
        envelope_from = parseaddr(sender)[1] or sender
        for attempt in (1, 2):
            smtp = self._usable()
            try:
                refusal, refused = self._envelope(smtp, envelope_from, to)
            except (smtplib.SMTPServerDisconnected, OSError):
                self.close()
                if attempt == 2:
                    raise SmtpUnavailable("the connection closed before the data") from None
                continue
            if refusal is not None:
                return refusal
            return self._data(smtp, message, refused)
        raise AssertionError("unreachable")

    def _envelope(
        self, smtp: smtplib.SMTP, sender: str, to: list[str]
    ) -> tuple[Outcome | None, dict[str, str]]:
        """MAIL and RCPT: an Outcome if the message cannot go, else the refused recipients."""
        code, text = smtp.mail(sender)
        if code != 250:
            smtp.rset()
            return Outcome(False, transient=400 <= code < 500, error=_reply(code, text)), {}
        refused: dict[str, str] = {}
        transient = False
        for address in to:
            code, text = smtp.rcpt(address)
            if code not in (250, 251):
                refused[address] = _reply(code, text)
                transient = transient or 400 <= code < 500
        if len(refused) == len(to):  # nobody left to send to
            smtp.rset()
            error = "; ".join(f"{a}: {r}" for a, r in refused.items()) or "no recipients"
            return Outcome(False, transient=transient, error=error, refused=refused), refused
        return None, refused

    def _data(self, smtp: smtplib.SMTP, message: Message, refused: dict[str, str]) -> Outcome:
        content = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        try:
            code, text = smtp.data(content)
        except smtplib.SMTPDataError as exc:  # refused before the content was sent
            smtp.rset()
            error = _reply(exc.smtp_code, exc.smtp_error)
            return Outcome(False, transient=400 <= exc.smtp_code < 500, error=error)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            return Outcome(False, transient=True, error=f"connection lost during the data: {exc}")
        self._last_used = time.monotonic()
        if code != 250:
            return Outcome(False, transient=400 <= code < 500, error=_reply(code, text))
        error = "; ".join(f"{a}: {r}" for a, r in refused.items()) or None
        return Outcome(True, error=error, refused=refused)
