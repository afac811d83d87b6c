"""Outbox, in-app notices, the holiday table and scheduler bookkeeping. Owned by the notify work.

Every notice is data: an OutboxMessage row (for mail) and a Notice row per user (for the app), both
written in the transaction of the change that caused them, and both keyed by the notice's
idempotency key, so that a second scan of the same moment finds the key and adds nothing.
"""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow


class OutboxStatus:
    PENDING = "pending"  # waiting for delivery (possibly after a failed attempt, see next_attempt_at)
    SENDING = "sending"  # claimed by a sender until claimed_until; a crashed sender's rows come back after it
    SENT = "sent"
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS or a permanent refusal; an operator may retry
    MERGED = "merged"  # combined into a digest row (digest_id) that is sent instead
    DELEGATED = "delegated"  # the 约谈/通报 proposal's own mail carries this notice (tracker.notify.hooks)

    LABELS = {PENDING: "待发送", SENDING: "发送中", SENT: "已发送", FAILED: "发送失败", MERGED: "已并入汇总",
              DELEGATED: "已随约谈/通报建议通知"}


class Channel:
    """How an outbox row travels. A notice has one row per channel; robot rows' keys end in ":robot"."""

    EMAIL = "email"
    ROBOT = "robot"  # the unit's group robot or generic webhook (tracker.mail.robot)

    LABELS = {EMAIL: "邮件", ROBOT: "群机器人"}


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), default=Channel.EMAIL, server_default=Channel.EMAIL)
    # Unique per (task or unit, rule, cycle): the whole exactly-once design rests on this constraint.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    to_addresses: Mapped[list] = mapped_column(JSON, default=list)
    cc_addresses: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Recipients the server refused while accepting the others: {address: "550 5.1.1 ..."}.
    refused: Mapped[dict | None] = mapped_column(JSON)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task = relationship("Task")
    unit = relationship("Unit")

    __table_args__ = (
        # The delivery claim reads (status, next_attempt_at) only.
        Index("ix_outbox_message_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_message_created", "created_at"),
        # The outbox page: counts per status and the tabs' sort orders (sent by sent_at, others by id).
        Index("ix_outbox_message_status_sent", "status", "sent_at"),
        Index("ix_outbox_message_status_id", "status", "id"),
    )

    @property
    def status_label(self) -> str:
        return OutboxStatus.LABELS.get(self.status, self.status)


class DigestMember(db.Model):
    """Which notices a day's digest mail carries. A notice To A with Cc B sits in A's and in B's digest."""

    __tablename__ = "outbox_digest_member"

    digest_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"), primary_key=True, index=True)


class MailDay(db.Model):
    """The one mail an address gets on a local day (a notice sent as it is, or that day's digest).

    The primary key is the rule "one mail per recipient address per day": a later notice for the address
    joins that mail while it is still pending, or waits for the next working day's digest.
    """

    __tablename__ = "outbox_mail_day"

    address: Mapped[str] = mapped_column(String(200), primary_key=True)  # lower-cased
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id"), index=True)


class Notice(db.Model):
    """A notice as the user sees it in the app: users without an email get it here too."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when no real channel reaches this user (e.g. "无法送达：无邮箱、未激活账号"); the notice is then on
    # the 待电话转达 list (PhoneRelay), written in the same transaction.
    reach: Mapped[str | None] = mapped_column(String(100))

    user = relationship("User")
    task = relationship("Task")

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notice_user_key"),
        Index("ix_notice_user_created", "user_id", "created_at"),
        Index("ix_notice_key", "key"),
    )


class HolidayDay(db.Model):
    """The organization department's holiday table: rest days and 调休 workdays, overriding the package."""

    __tablename__ = "holiday_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    is_workday: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SkippedNotice(db.Model):
    """A notice that was due but not sent because a more advanced one went out instead (catch-up)."""

    __tablename__ = "skipped_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchedulerLease(db.Model):
    """One row per named job lock / heartbeat: 'scheduler' says who leads, 'scan' serialises scans.

    Leadership itself is an advisory lock (PostgreSQL) or a file lock (SQLite); this row only shows it
    (holder, since, last beat) to operators and tests, and its row lock keeps two scans from overlapping.
    """

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120), default="")
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)


class PhoneRelay(db.Model):
    """待电话转达: a notice whose main recipient no channel reaches; the organization department calls them.

    Written in the transaction that wrote the notice (tracker.mail.reach), so a notice is never silently lost.
    """

    __tablename__ = "phone_relay"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    phone: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    call_note: Mapped[str] = mapped_column(String(200), default="")

    user = relationship("User", foreign_keys=[user_id])
    called_by = relationship("User", foreign_keys=[called_by_id])
    task = relationship("Task")

    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_phone_relay_user_key"),
        Index("ix_phone_relay_called_created", "called_at", "created_at"),
    )
