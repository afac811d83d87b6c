"""The organization tree: 省/市/县 组织部. A county is the tenant: its units, reviews and tasks belong to it.

A county install has one county, made by the migration (or by `default_county` at first use) and flagged
`is_default`; everything created without a county lands there, so one county behaves as before tenants.
"""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.extensions import db
from tracker.models.types import UTCDateTime, utcnow


class OrgLevel:
    PROVINCE = "省"
    CITY = "市"
    COUNTY = "县"
    ALL = (PROVINCE, CITY, COUNTY)
    # The parent each level hangs under (a county may also stand alone: the county install).
    PARENT = {PROVINCE: (), CITY: (PROVINCE,), COUNTY: (CITY, PROVINCE)}


DEFAULT_COUNTY_NAME = "本县"


class Organization(db.Model):
    """One 组织部 of the tree. Accounts of 组织部 and 纪委 hang on one; a county holds units and reviews."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(4), default=OrgLevel.COUNTY)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # The county of a county install: rows made without a county belong to it.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_county(self) -> bool:
        return self.level == OrgLevel.COUNTY

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.level} {self.name}>"


def default_county_id(session) -> int | None:
    return session.scalar(select(Organization.id).where(Organization.is_default.is_(True))
                          .order_by(Organization.id).limit(1))


def ensure_default_county(session, *, now: datetime | None = None) -> Organization:
    """The county of a county install, made if missing (flushed, never committed). Made, it adopts every unit,
    review and task without a county, as the migration does: an install whose tables predate the tree stays
    one county."""
    found = session.scalar(select(Organization).where(Organization.is_default.is_(True))
                           .order_by(Organization.id).limit(1))
    if found is not None:
        return found
    county = Organization(name=DEFAULT_COUNTY_NAME, level=OrgLevel.COUNTY, is_default=True,
                          created_at=now or utcnow())
    session.add(county)
    session.flush()
    from tracker.models.org import Unit
    from tracker.models.review import Review
    from tracker.models.task import Task

    for model in (Unit, Review, Task):
        session.execute(update(model).where(model.county_id.is_(None)).values(county_id=county.id)
                        .execution_options(synchronize_session="fetch"))
    return county


@event.listens_for(Session, "before_flush")
def _fill_counties(session, _context, _instances):
    """Task.county_id is its unit's county (or, county-wide, its review's): denormalised so that scoping a
    million tasks is one indexed column. Units and reviews made without a county go to the default one.
    Rows written by Core inserts bypass this: their writers set county_id themselves."""
    from tracker.models.org import Unit
    from tracker.models.review import Review
    from tracker.models.task import Task

    new = [obj for obj in session.new if isinstance(obj, (Unit, Review, Task)) and obj.county_id is None]
    if not new:
        return
    default = None
    with session.no_autoflush:
        if any(isinstance(obj, (Unit, Review)) for obj in new):
            default = default_county_id(session)
        for obj in new:
            if isinstance(obj, (Unit, Review)):
                obj.county_id = default
        for obj in new:
            if isinstance(obj, Task):
                obj.county_id = _task_county(session, obj)


def _task_county(session, task) -> int | None:
    from tracker.models.org import Unit
    from tracker.models.review import Review

    unit = task.unit if "unit" in task.__dict__ and task.unit is not None else (
        session.get(Unit, task.unit_id) if task.unit_id is not None else None)
    if unit is not None:
        return unit.county_id
    review = task.review if "review" in task.__dict__ and task.review is not None else (
        session.get(Review, task.review_id) if task.review_id is not None else None)
    return review.county_id if review is not None else None
