"""What each domain holds about one customer (a data subject), as a registry: a domain adds a
`Section` that exports its records and erases the personal data in them. The privacy package
(`workflows.privacy`) builds the export archive and runs the erasure from whatever is registered,
so a new domain (outreach enrolments, say) adds its section in its own `subject_data` module and
needs no change elsewhere."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from workflows.platform.clock import Clock

ERASED = "[erased]"  # what erased free text reads as


@dataclass(frozen=True)
class Subject:
    """The customer being exported or erased: their id, the ids of customers merged into them
    (the same person's older records), and the contact points to hunt down everywhere."""

    customer_id: int
    customer_ids: tuple[int, ...]
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    # The attachment blob store (workflows.channels.attachments.BlobStore) when the caller has
    # one: the export adds the files, the erasure deletes them.
    blobs: Any = None
    # An export for someone who may not read every requirement: WHERE clauses on requirements
    # and on communications (`visibility.readable`, `visibility.readable_communications`) that
    # keep what they may read. None keeps everything: an admin's export, and every erasure.
    requirements_readable: Any = None
    communications_readable: Any = None

    @property
    def is_complete(self) -> bool:
        return self.requirements_readable is None and self.communications_readable is None

    @property
    def identifiers(self) -> tuple[str, ...]:
        return tuple(v for v in (*self.emails, *self.phones) if v)


Exporter = Callable[[Session, Subject], list[dict[str, Any]]]
FileExporter = Callable[[Session, Subject], dict[str, bytes]]
# Anonymise in place; returns {table: rows changed} for the certificate. Flushes, never commits.
Eraser = Callable[[Session, Subject, Clock], dict[str, int]]


@dataclass(frozen=True)
class Section:
    """One part of the export (`<name>.json` in the archive) and of the erasure (one step)."""

    name: str
    export: Exporter
    erase: Eraser | None = None
    files: FileExporter | None = None  # e.g. attachments, stored under `<name>/` in the archive
    position: int = 100  # order in the archive and of erasure steps
    description: str = ""


@dataclass
class _Registry:
    sections: dict[str, Section] = field(default_factory=dict)


_REGISTRY = _Registry()


def register(section: Section) -> Section:
    """Add (or replace, on re-import) a section."""
    _REGISTRY.sections[section.name] = section
    return section


def sections() -> list[Section]:
    return sorted(_REGISTRY.sections.values(), key=lambda s: (s.position, s.name))
