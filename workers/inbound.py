"""The inbound SMTP process: `python -m workers.inbound`, an aiosmtpd server for Rapport's own
domain (INBOUND_SMTP_HOST:INBOUND_SMTP_PORT, default 127.0.0.1:2525).

It accepts only the inbound address, its +tag reply addresses and the MAIL_FROM address (where
bounces return), 550 for anything else; takes messages up to INBOUND_MAX_BYTES (552 above); and
stores each one, committed, before it answers 250: a message the sender was told we have is in
the database. A message it cannot store now gets 451 (the sending server tries again later); an
unreadable one 554; a sender over its rate 451. Storing runs on one thread beside the event
loop, so a slow store never stalls other connections' SMTP dialogue and SQLite sees one writer."""

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from flask import Flask

from web import create_app
from web.extensions import db
from web.inbound import inbound_settings, receive
from workflows.channels.inbound import InboundRefused, Receipt

log = logging.getLogger("rapport.inbound")

ENHANCED_CODES = {550: "5.1.1", 552: "5.3.4", 554: "5.6.0", 451: "4.7.1"}


class InboundHandler:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.settings = inbound_settings(app.config)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self.settings.accepts(address):
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: SmtpSession, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        sender = envelope.mail_from or ""
        loop = asyncio.get_running_loop()
        try:
            receipt = await loop.run_in_executor(
                self.executor, self.store, raw, list(envelope.rcpt_tos), sender
            )
        except InboundRefused as exc:
            code = ENHANCED_CODES.get(exc.smtp_code, "5.0.0")
            return f"{exc.smtp_code} {code} {exc.message}"
        except Exception:
            log.exception("inbound: could not store a message from %s", sender)
            return "451 4.3.0 Could not store the message now; try again later"
        state = "duplicate of" if receipt.duplicate else "stored as"
        log.info(
            "inbound: %s %s %s (%s)",
            receipt.message_id,
            state,
            receipt.inbound_email_id,
            receipt.kind,
        )
        return f"250 2.0.0 Message {state} {receipt.inbound_email_id}"

    def store(self, raw: bytes, recipients: list[str], sender: str) -> Receipt:
        with self.app.app_context():
            try:
                null_sender = sender.strip() in ("", "<>")
                return receive(raw, recipients, envelope_sender="" if null_sender else sender)
            finally:
                db.session.remove()


def serve(app: Flask) -> None:
    host = app.config["INBOUND_SMTP_HOST"]
    port = int(app.config["INBOUND_SMTP_PORT"])
    handler = InboundHandler(app)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def protocol() -> Any:
        return SMTP(
            handler,
            data_size_limit=int(app.config["INBOUND_MAX_BYTES"]),
            enable_SMTPUTF8=True,
            ident="Rapport inbound",
            loop=loop,
        )

    server = loop.run_until_complete(loop.create_server(protocol, host=host, port=port))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, loop.stop)
    log.info("inbound: listening on %s:%s for %s", host, port, app.config["INBOUND_ADDRESS"])
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        handler.executor.shutdown(wait=True)  # a message being stored finishes first
        loop.close()
        log.info("inbound: stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(create_app({"SQLITE_IMMEDIATE": True}))


if __name__ == "__main__":
    main()
