"""The SMTP mailer configured for this app."""

from collections.abc import Mapping
from typing import Any

from workflows.platform.outbox import SmtpMailer, SmtpSettings


def mailer_from_config(config: Mapping[str, Any]) -> SmtpMailer:
    return SmtpMailer(
        SmtpSettings(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            sender=config["MAIL_FROM"],
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            use_tls=bool(config.get("SMTP_STARTTLS")),
            use_ssl=bool(config.get("SMTP_SSL")),
        )
    )


def mail_domain(config: Mapping[str, Any]) -> str:
    """The domain of MAIL_FROM, which also names Message-IDs."""
    return config["MAIL_FROM"].rsplit("@", 1)[-1].strip(" >") or "rapport.local"
