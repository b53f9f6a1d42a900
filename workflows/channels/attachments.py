"""Attachments: the bytes in a blob store under their SHA-256 (the same file is kept once), a
row per file on its communication, and the size and type limits.

`BlobStore` is the seam: `LocalBlobStore` keeps files in a folder (the default, under the
instance folder); an S3-compatible store only needs `put`, `open`, `exists`, `stale` and `delete`.

Blobs are written before the transaction commits, so a row never lacks its bytes; a rolled-back
transaction (inbound or a reply) leaves an unreferenced file, which `sweep_orphans` (beat) removes
once it is older than a grace period longer than any transaction; erasure deletes at once.
`put` of bytes already kept renews the file's time, so a file that a new transaction is about to
reference is never old."""

import fnmatch
import hashlib
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Attachment, Communication, InboundEmail
from workflows.channels.inbound_parse import ParsedAttachment
from workflows.platform.clock import Clock
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

HEX = frozenset("0123456789abcdef")


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Keep `data`; returns its SHA-256 (hex). Idempotent."""
        ...

    def open(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...

    def stale(self, before: datetime) -> Iterator[str]:
        """The SHA-256 of each blob last written (or `put` again) before `before`."""
        ...

    def delete(self, sha256: str, *, unless_since: datetime | None = None) -> bool:
        """Remove the blob (erasure), or, given `unless_since`, unless it was written or `put`
        again at or after it (the orphan sweep); returns whether it was removed."""
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
            try:  # renewed: the orphan sweep keeps what a transaction is about to reference
                os.utime(target)
                return sha256
            except FileNotFoundError:  # the sweep removed it just now: write it again
                pass
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

    def stale(self, before: datetime) -> Iterator[str]:
        cutoff = before.timestamp()
        for path in self.root.glob("??/??/*"):
            if len(path.name) == 64 and set(path.name) <= HEX and _mtime(path) < cutoff:
                yield path.name

    def delete(self, sha256: str, *, unless_since: datetime | None = None) -> bool:
        path = self.path(sha256)
        if unless_since is not None and _mtime(path) >= unless_since.timestamp():
            return False
        path.unlink(missing_ok=True)
        return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")  # gone already: neither stale nor to delete


# Why a file was not kept: stored in English on the attachment (`refusal`), shown in the
# reader's words (web/requirements/clock_texts.py `refusal`).
TOO_LARGE = N_("larger than %(size)s KiB")
TYPE_NOT_ALLOWED = N_("type %(type)s not allowed")
REFUSALS = (TOO_LARGE, TYPE_NOT_ALLOWED)


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int
    allowed_types: Sequence[str]  # shell patterns: "image/*", "application/pdf"; "*/*" allows all

    def refusal(self, content_type: str, size: int) -> str | None:
        """Why a file may not be kept, or None."""
        if size > self.max_bytes:
            return Message(TOO_LARGE, size=self.max_bytes // 1024)
        if not any(fnmatch.fnmatch(content_type.lower(), p) for p in self.allowed_types):
            return Message(TYPE_NOT_ALLOWED, type=content_type)
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


def clean_filename(name: str | None, default: str = "attachment") -> str:
    """A file name as a person gave it, without the folders, control characters or length that
    could trouble a mail client or a file system."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    return name[:255] or default


@dataclass(frozen=True)
class OutgoingFiles:
    """Files an agent attaches to a reply, the store they go to and their limits."""

    files: Sequence[ParsedAttachment]
    store: BlobStore
    policy: AttachmentPolicy
    max_count: int
    max_total_bytes: int

    def problems(self) -> list[str]:
        """What is wrong with the files, one message each (the field is `attachments`)."""
        found = []
        if len(self.files) > self.max_count:
            found.append(Message(N_("Attach at most %(count)s files."), count=self.max_count))
        total = sum(len(f.data) for f in self.files)
        if total > self.max_total_bytes:
            found.append(
                Message(
                    N_("The files add up to more than %(size)s."), size=_size(self.max_total_bytes)
                )
            )
        for file in self.files:
            if not file.data:
                found.append(Message(N_("%(name)s: the file is empty."), name=file.filename))
            elif refusal := self.policy.refusal(file.content_type, len(file.data)):
                found.append(
                    Message(N_("%(name)s: %(reason)s."), name=file.filename, reason=refusal)
                )
        return found


def _size(n: int) -> str:
    return f"{n // 1024 // 1024} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def outgoing(rows: Iterable[Attachment]) -> list[dict[str, str]]:
    """How the outbox names kept files (`OutboxMessage.attachments`)."""
    return [
        {"sha256": r.sha256, "filename": r.filename, "content_type": r.content_type}
        for r in rows
        if r.sha256
    ]


SWEEP_BATCH = 500  # digests looked up per query


def sweep_orphans(session: Session, store: BlobStore, *, clock: Clock, grace: timedelta) -> int:
    """Delete blobs older than `grace` that no attachment and no received message references
    (left by a rolled-back transaction); returns how many. Reads only: nothing to commit.

    `grace` must be longer than any transaction that writes a blob lasts: a blob written by
    one still open is not referenced yet. A blob `put` again meanwhile is newer than the
    cutoff and kept, even between this function's query and its delete."""
    cutoff = clock.now() - grace
    removed = 0
    batch: list[str] = []
    for sha256 in store.stale(cutoff):
        batch.append(sha256)
        if len(batch) >= SWEEP_BATCH:
            removed += _remove_unreferenced(session, store, batch, cutoff)
            batch = []
    if batch:
        removed += _remove_unreferenced(session, store, batch, cutoff)
    return removed


def _remove_unreferenced(
    session: Session, store: BlobStore, digests: list[str], cutoff: datetime
) -> int:
    kept = select(Attachment.sha256).where(Attachment.sha256.in_(digests))
    raw = select(InboundEmail.raw_sha256).where(InboundEmail.raw_sha256.in_(digests))
    referenced = set(session.scalars(kept)) | set(session.scalars(raw))
    return sum(
        store.delete(sha256, unless_since=cutoff) for sha256 in digests if sha256 not in referenced
    )
