"""One plain-text search document per customer and per requirement; each database indexes them
its own way (SQLite: FTS5 trigram tables; PostgreSQL: pg_trgm GIN indexes), see the migrations."""

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class CustomerSearchDocument(Base):
    __tablename__ = "customer_search_documents"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text)  # names, emails, phone digits, org, notes, bodies
    updated_at: Mapped[datetime]


class RequirementSearchDocument(Base):
    __tablename__ = "requirement_search_documents"

    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text)  # title, description, linked communications
    updated_at: Mapped[datetime]


# Objects the migrations create outside the models (dialect-specific search indexes, the queues'
# expression indexes); schema comparison leaves them alone.
UNMANAGED_PREFIXES = (
    "customer_search_fts",
    "ix_customer_search_documents_trgm",
    "requirement_search_fts",
    "ix_requirement_search_documents_trgm",
    "ix_requirements_queue_",
)
# SQLAlchemy warns that it skips reflecting an expression index; schema comparison expects it.
UNREFLECTED_WARNING = (
    r"Skipped unsupported reflection of expression-based index ix_requirements_queue_"
)


def is_managed(name: str | None) -> bool:
    return not (name or "").startswith(UNMANAGED_PREFIXES)
