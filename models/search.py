"""One plain-text search document per customer; each database indexes it its own way
(SQLite: an FTS5 trigram table; PostgreSQL: a pg_trgm GIN index), see the migration."""

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


# Objects the migrations create outside the models (dialect-specific search indexes); schema
# comparison leaves them alone.
UNMANAGED_PREFIXES = ("customer_search_fts", "ix_customer_search_documents_trgm")


def is_managed(name: str | None) -> bool:
    return not (name or "").startswith(UNMANAGED_PREFIXES)
