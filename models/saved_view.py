"""Saved queue views: a queue and its filters, kept by one user and optionally shared with a
team. Stored as data (the filter names the queue page reads), never as SQL."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class SavedView(Base):
    __tablename__ = "saved_views"
    __table_args__ = (
        Index("ix_saved_views_owner_id", "owner_id"),
        Index("ix_saved_views_team_id", "team_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    queue: Mapped[str] = mapped_column(String(10))  # mine, team or all
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
