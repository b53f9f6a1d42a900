"""One plain-text search document per customer and per requirement; each database indexes them
its own way (SQLite: FTS5 trigram tables; PostgreSQL: pg_trgm GIN indexes), see the migrations."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

KEY_CHARS = 60


class CustomerSearchDocument(Base):
    __tablename__ = "customer_search_documents"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(Text)  # names, emails, phone digits, org, notes, bodies
    updated_at: Mapped[datetime]


class CustomerSearchKey(Base):
    """The short-query path of customer search: each one- and two-character piece of a Chinese
    name (张, 伟, 张伟) and its pinyin and initials (zhangwei, wei, zw), one row each. A trigram
    index needs three characters; these are looked up whole (Chinese) or by prefix (Latin)
    in the primary key. They live and die with the customer's search document."""

    __tablename__ = "customer_search_keys"
    __table_args__ = (Index("ix_customer_search_keys_customer_id", "customer_id"),)

    # Binary on PostgreSQL too, so a prefix is a plain range of the index.
    key: Mapped[str] = mapped_column(
        String(KEY_CHARS).with_variant(String(KEY_CHARS, collation="C"), "postgresql"),
        primary_key=True,
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer_search_documents.customer_id", ondelete="CASCADE"), primary_key=True
    )


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
