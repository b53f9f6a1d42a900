"""Attachments: the bytes in a blob store under their SHA-256 (the same file is kept once), a
row per file on its communication, and the size and type limits.

`BlobStore` is the seam: `LocalBlobStore` keeps files in a folder (the default, under the
instance folder); an S3-compatible store only needs `put`, `open`, `exists` and `delete`. Blobs are
written before the transaction commits: a rolled-back message leaves an unreferenced file, never
a row without its bytes."""

import fnmatch
import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from models import Attachment, Communication
from workflows.channels.inbound_parse import ParsedAttachment
from workflows.platform.clock import Clock

HEX = frozenset("0123456789abcdef")


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Keep `data`; returns its SHA-256 (hex). Idempotent."""
        ...

    def open(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None:
        """Remove the file if it is there (erasure)."""
        ...


class LocalBlobStore:
    """Files at `<root>/<ab>/<cd>/<sha256>`, written to a temporary name and renamed into place,
    so a reader never sees half a file and two writers of the same bytes both succeed."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not set(sha256) <= HEX:
            raise ValueError("not a SHA-256 digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return sha256

    def open(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int
    allowed_types: Sequence[str]  # shell patterns: "image/*", "application/pdf"; "*/*" allows all

    def refusal(self, content_type: str, size: int) -> str | None:
        """Why a file may not be kept, or None."""
        if size > self.max_bytes:
            return f"larger than {self.max_bytes // 1024} KiB"
        if not any(fnmatch.fnmatch(content_type.lower(), p) for p in self.allowed_types):
            return f"type {content_type} not allowed"
        return None


def keep(
    session: Session,
    store: BlobStore,
    communication: Communication,
    files: Iterable[ParsedAttachment],
    *,
    policy: AttachmentPolicy,
    clock: Clock,
) -> list[Attachment]:
    """Store each allowed file and add a row per file (refused ones say why); flushes."""
    rows = []
    for file in files:
        refusal = policy.refusal(file.content_type, len(file.data))
        row = Attachment(
            communication_id=communication.id,
            filename=file.filename,
            content_type=file.content_type,
            size=len(file.data),
            sha256=None if refusal else store.put(file.data),
            refusal=refusal,
            is_inline=file.is_inline,
            created_at=clock.now(),
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows
