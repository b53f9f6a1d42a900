"""The admin-managed list of requirement categories; a requirement's `category` is one of these
names (kept as text on the requirement, so reports and SLA policies that match on it stay as
they were)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RequirementCategory(Base):
    __tablename__ = "requirement_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime]
