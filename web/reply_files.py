"""The files an agent attaches to a reply (page or API), with their limits from configuration.
Kept apart from downloads (`web/attachments.py`): those check the read policy, whose module
lives in the requirement pages' package, and that package's composer needs these helpers."""

import mimetypes
import re
from collections.abc import Sequence

from flask import current_app

from web.inbound import blob_store, inbound_settings
from workflows.channels.attachments import OutgoingFiles, clean_filename
from workflows.channels.inbound_parse import ParsedAttachment

# type/subtype as RFC 6838 allows them (a header value, so nothing else may pass into it)
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


def reply_file(filename: str | None, content_type: str | None, data: bytes) -> ParsedAttachment:
    """A file for a reply; its type as given, else guessed from its name."""
    name = clean_filename(filename)
    given = (content_type or "").split(";")[0].strip().lower()
    if not CONTENT_TYPE.fullmatch(given):
        given = ""
    guessed = mimetypes.guess_type(name)[0]
    kind = given if given and given != "application/octet-stream" else guessed or given
    return ParsedAttachment(
        filename=name, content_type=kind or "application/octet-stream", data=data
    )


def reply_files(files: Sequence[ParsedAttachment]) -> OutgoingFiles:
    """`files` with the configured store and limits (the same types as received mail)."""
    config = current_app.config
    return OutgoingFiles(
        files=files,
        store=blob_store(config),
        policy=inbound_settings(config).attachment_policy,
        max_count=int(config["REPLY_ATTACHMENTS_MAX_COUNT"]),
        max_total_bytes=int(config["REPLY_ATTACHMENTS_MAX_TOTAL_BYTES"]),
    )
