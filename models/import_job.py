"""CSV imports, run by a worker with visible progress."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ImportJob(Base):
    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)  # the uploaded CSV, UTF-8
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # column -> field
    mode: Mapped[str] = mapped_column(String(20))  # "all_or_nothing" or "skip_bad_rows"
    status: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # pending/running/done/failed
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    imported_rows: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{row, field, message}]
    # The latest dry run, written by its worker: {run, status, total, processed, creates,
    # updates, bad_rows, errors, errors_listed, requested_at, finished_at}; None before one.
    dry_run: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
