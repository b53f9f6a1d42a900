"""A machine-readable archive of everything held about a customer: a zip of JSON files, one
per registered section, with a manifest."""

import io
import json
import zipfile
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from models import Customer
from workflows.customers.subject_data import subject_of
from workflows.platform.clock import Clock
from workflows.privacy.sections import registered

FORMAT = "rapport-subject-export/1"


def export_archive(
    session: Session,
    customer_id: int,
    *,
    clock: Clock,
    blobs: Any = None,
    requirements_readable: Any = None,
    communications_readable: Any = None,
) -> bytes:
    """The archive's bytes, with the attachments' files when `blobs` (the attachment
    BlobStore) is given. Reads only; the caller logs the export in the access log.

    For a reader who may not read every requirement, `requirements_readable` and
    `communications_readable` (the read policy: `visibility.readable`,
    `visibility.readable_communications`) leave out the requirements they may not read, with
    their events and the communications, attachments and audit entries linked to them; the
    manifest's `complete` says so. None (the default) exports everything."""
    if session.get(Customer, customer_id) is None:
        raise LookupError(f"no customer {customer_id}")  # the caller loads it first (404)
    subject = replace(
        subject_of(session, customer_id),
        blobs=blobs,
        requirements_readable=requirements_readable,
        communications_readable=communications_readable,
    )
    buffer = io.BytesIO()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "customer_id": customer_id,
        "merged_customer_ids": [i for i in subject.customer_ids if i != customer_id],
        "generated_at": clock.now().isoformat(),
        "complete": subject.is_complete,
        "sections": {},
    }
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section in registered():
            records = section.export(session, subject)
            archive.writestr(f"{section.name}.json", _json(records))
            entry: dict[str, Any] = {"file": f"{section.name}.json", "records": len(records)}
            if section.files is not None:
                files = section.files(session, subject)
                for path, content in sorted(files.items()):
                    archive.writestr(f"{section.name}/{path}", content)
                entry["files"] = len(files)
            manifest["sections"][section.name] = entry
        archive.writestr("manifest.json", _json(manifest))
    return buffer.getvalue()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)
