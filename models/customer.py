"""Customers, their organisations, contact points, tags, consent and lifecycle stages."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, text
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from models.base import Base, value_enum
from models.name_readings import SORT_KEY_CHARS, sort_key


class Channel(enum.StrEnum):
    """Channels a customer can consent to be contacted on."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"


customer_tags = Table(
    "customer_tags",
    Base.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class LifecycleStage(Base):
    """Admin-configurable stages (lead, prospect, customer, churned by default)."""

    __tablename__ = "lifecycle_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)


# What a new installation starts with (the migration that creates the table inserts these; a
# backup restore recognises a table holding only these as empty).
DEFAULT_STAGES = (
    ("lead", "Lead"),
    ("prospect", "Prospect"),
    ("customer", "Customer"),
    ("churned", "Churned"),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)  # stored lower-case


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (Index("ix_organisations_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name folded and lower-cased (workflows.customers.organisations.name_key), kept by the
    # only writer: searching it with the folded query finds "Núñez" by `Nunez` and "Nunez" by
    # `Núñez`. Neither database folds by itself (see workflows/platform/text_folding.py).
    name_key: Mapped[str] = mapped_column(String(400), default="", server_default="")
    website: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    customers: Mapped[list["Customer"]] = relationship(back_populates="organisation")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


def _default_name_sort(context: DefaultExecutionContext) -> str:
    """A Core insert that names no sort key (bench seeding, tests' bulk rows) gets its name's."""
    return sort_key(context.get_current_parameters().get("name"))


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        # One live customer per primary email; deleted and merged-away rows step aside.
        Index(
            "uq_customers_primary_email_live",
            "primary_email",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_customers_live_name_sort", "deleted_at", "name_sort", "id"),
        Index("ix_customers_owner_id", "owner_id", "deleted_at"),
        Index("ix_customers_stage_id", "stage_id", "deleted_at"),
        Index("ix_customers_organisation_id", "organisation_id"),
        Index("ix_customers_last_contacted_at", "last_contacted_at"),
        Index("ix_customers_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name as it sorts (models/name_readings.sort_key): kept by `_name_changed` for the ORM
    # and by the default for bulk inserts. Binary comparison on both databases.
    name_sort: Mapped[str] = mapped_column(
        String(SORT_KEY_CHARS).with_variant(String(SORT_KEY_CHARS, collation="C"), "postgresql"),
        default=_default_name_sort,
    )
    primary_email: Mapped[str | None] = mapped_column(String(254))  # copy of the primary row
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("lifecycle_stages.id"))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    address_line: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    # State, province (省) or county; `district` is a Chinese address's 区/县 between city and
    # street. Which of them a page shows, and in which order, depends on `country`
    # (workflows/customers/addresses.py).
    region: Mapped[str | None] = mapped_column(String(120))
    district: Mapped[str | None] = mapped_column(String(120))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    notes: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_contacted_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    # A legal hold (litigation, audit) forbids erasing the customer until it is lifted.
    legal_hold_at: Mapped[datetime | None]
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None]  # personal data anonymised; aggregates kept
    version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation | None] = relationship(back_populates="customers")
    stage: Mapped[LifecycleStage | None] = relationship()
    emails: Mapped[list["CustomerEmail"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerEmail.id"
    )
    phones: Mapped[list["CustomerPhone"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerPhone.id"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=customer_tags, order_by=Tag.name)
    consents: Mapped[list["Consent"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="Consent.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @validates("name")
    def _name_changed(self, _key: str, name: str) -> str:
        self.name_sort = sort_key(name)
        return name

    def consent_for(self, channel: Channel) -> "Consent | None":
        """The latest consent record for `channel` (None: never asked)."""
        records = [c for c in self.consents if c.channel == channel]
        # By time, not id: a merge brings in the other customer's older records with newer ids.
        return max(records, key=lambda c: (c.at, c.id)) if records else None


class CustomerEmail(Base):
    __tablename__ = "customer_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    is_primary: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="emails")


class CustomerPhone(Base):
    __tablename__ = "customer_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    e164: Mapped[str] = mapped_column(String(20), index=True)
    label: Mapped[str | None] = mapped_column(String(40))

    customer: Mapped[Customer] = relationship(back_populates="phones")


class Consent(Base):
    """One grant or withdrawal of consent, kept as history; the latest per channel counts."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[Channel] = mapped_column(value_enum(Channel))
    is_granted: Mapped[bool]
    at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(120))  # e.g. "web form", "phone call"
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(back_populates="consents")
