from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models.enums import Role, UnitKind
from tracker.models.types import UTCDateTime, utcnow


class Unit(db.Model):
    """责任单位: a township, sub-district or county bureau."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=UnitKind.OTHER)
    # Anonymised names such as "XX镇" repeat across units; they are kept apart until renamed.
    needs_rename: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    # The county (tracker.models.tenants.Organization) the unit belongs to: its tenant.
    county_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # The unit's group robot (企业微信 / 钉钉 / a generic signed webhook), set by the organization department:
    # notices for the unit are posted there too (tracker.mail.robot).
    robot_kind: Mapped[str | None] = mapped_column(String(20))
    robot_url: Mapped[str | None] = mapped_column(String(500))
    robot_secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name}>"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    # Login name; secretaries created by an import have none until invited.
    username: Mapped[str | None] = mapped_column(String(80), unique=True)
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.SECRETARY)
    title: Mapped[str | None] = mapped_column(String(50))
    # From the 党组织书记名册: the number the organization department calls when no channel reaches them.
    phone: Mapped[str | None] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # The 组织部 node a 组织部 or 纪委 account works for (its county, or a city/province and its subtree).
    # NULL: the whole install (a county install's accounts made before tenants). Secretaries go by unit_id.
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped at logout and password change: every session cookie carries it, so old cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit | None] = relationship(back_populates="users")
    organization = relationship("Organization")

    __table_args__ = (Index("ix_user_account_role_unit", "role", "unit_id"),)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name} {self.role}>"
