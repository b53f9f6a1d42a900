"""The SMTP settings configured for this app."""

from collections.abc import Mapping
from typing import Any

from workflows.platform.smtp import SmtpConnection, SmtpSettings


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings:
    return SmtpSettings(
        host=config["SMTP_HOST"],
        port=int(config["SMTP_PORT"]),
        sender=config["MAIL_FROM"],
        username=config.get("SMTP_USERNAME"),
        password=config.get("SMTP_PASSWORD"),
        use_tls=bool(config.get("SMTP_STARTTLS")),
        use_ssl=bool(config.get("SMTP_SSL")),
        timeout=float(config.get("SMTP_TIMEOUT", 10.0)),
    )


def smtp_connection(config: Mapping[str, Any]) -> SmtpConnection:
    """A connection (opened on first use) to the configured server."""
    return SmtpConnection(smtp_settings(config))


def mail_domain(config: Mapping[str, Any]) -> str:
    """The domain of MAIL_FROM, which also names Message-IDs."""
    return config["MAIL_FROM"].rsplit("@", 1)[-1].strip(" >") or "rapport.local"
