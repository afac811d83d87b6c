from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow


class ReviewKind:
    """Where a review's problems came from: a 述职评议 transcript, or a 问题清单 workbook of 巡察/审计/其他."""

    APPRAISAL = "述职评议"
    INSPECTION = "巡察"
    AUDIT = "审计"
    OTHER = "其他"
    FROM_WORKBOOK = (INSPECTION, AUDIT, OTHER)
    ALL = (APPRAISAL, *FROM_WORKBOOK)


class Review(db.Model):
    """述职评议会议 imported from its transcript, or a 问题清单 (巡察/审计/其他) imported from a workbook."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default=ReviewKind.APPRAISAL, server_default=ReviewKind.APPRAISAL)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    source_filename: Mapped[str] = mapped_column(String(255))
    # sha256 of the decoded, normalised text (the same transcript in another encoding is the same review), or of
    # a workbook's bytes.
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)

    comments: Mapped[list["Comment"]] = relationship(
        back_populates="review", order_by="Comment.position", cascade="all, delete-orphan"
    )


class Comment(db.Model):
    """点评: the county secretary's comment on one unit at one review."""

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(Text, default="")
    secretary_name: Mapped[str] = mapped_column(String(50), default="")
    secretary_title: Mapped[str] = mapped_column(String(50), default="")
    strengths: Mapped[str] = mapped_column(Text, default="")
    expectations: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="comments")
    unit = relationship("Unit")

    __table_args__ = (UniqueConstraint("review_id", "position", name="uq_comment_review_position"),)
