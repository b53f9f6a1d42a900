"""Files that came with a communication: the row names the file, the bytes live in a blob store
(workflows/channels/attachments.py) under their SHA-256, so the same file is kept once."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base
from models.communication import Communication


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    communication_id: Mapped[int] = mapped_column(
        ForeignKey("communications.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int]
    # None when the file was refused (too large, a type not allowed): the row says it came.
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    refusal: Mapped[str | None] = mapped_column(String(200))
    is_inline: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    communication: Mapped[Communication] = relationship()
