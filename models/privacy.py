"""Data-subject rights: erasure jobs and their certificates, the customer access log, and
retention policies for old communications and closed requirements."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ErasureJob(Base):
    """Erasing one customer, step by step in a worker; `certificate` says what was erased."""

    __tablename__ = "erasure_jobs"
    __table_args__ = (Index("ix_erasure_jobs_customer_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the job and its certificate outlive whatever happens to the customer row.
    customer_id: Mapped[int]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # pending, running, done, refused (a legal hold was set before it started)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    steps_done: Mapped[int] = mapped_column(default=0)
    steps_total: Mapped[int] = mapped_column(default=0)
    # {"steps": {step: {table: rows}}, "erased_at": …}: counts only, never the erased values.
    certificate: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class CustomerAccess(Base):
    """Who viewed, exported, revealed or erased which customer, and when."""

    __tablename__ = "customer_access_log"
    __table_args__ = (
        Index("ix_customer_access_log_customer", "customer_id", "at"),
        Index("ix_customer_access_log_user", "user_id", "at"),
        Index("ix_customer_access_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_id: Mapped[int]  # no foreign key: the log outlives the customer
    action: Mapped[str] = mapped_column(String(20))  # view, export, reveal, erase
    via: Mapped[str] = mapped_column(String(10))  # page, api, worker
    detail: Mapped[str | None] = mapped_column(String(200))


class RetentionPolicy(Base):
    """Delete or anonymise old records of one kind (and channel) after `months`."""

    __tablename__ = "retention_policies"
    __table_args__ = (UniqueConstraint("target", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(20))  # communications, requirements
    channel: Mapped[str] = mapped_column(String(20), default="")  # "" = every channel
    months: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))  # delete, anonymise
    is_enabled: Mapped[bool] = mapped_column(default=False)
    last_run_at: Mapped[datetime | None]
    last_result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
