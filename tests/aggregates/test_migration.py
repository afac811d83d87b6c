"""The migration fills the counts from the tasks already there and installs the same triggers as create_all."""
from datetime import date, datetime, timedelta, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, update

from config import TestConfig
from tests.factories import make_review, make_task, make_unit
from tests.foundation.test_migrations import blank_database_url  # noqa: F401  (the fixture)
from tracker import create_app
from tracker.extensions import db
from tracker.models import Task, TaskStatus
from tracker.models.aggregates import GRAINS, UnitTaskCount
from tracker.services.aggregates import differences


def test_upgrade_counts_existing_tasks_and_its_triggers_keep_them(blank_database_url):  # noqa: F811
    class _Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = blank_database_url

    app = create_app(_Config)
    with app.app_context():
        upgrade()
        s = db.session
        unit, other = make_unit(s, "东山镇"), make_unit(s, "西河乡")
        review = make_review(s)
        for offset in range(-5, 5):
            task = make_task(s, unit if offset % 2 else other, review=review, deadline=date(2026, 5, 1) + timedelta(days=offset))
            if offset > 2:
                task.status, task.closed_at = TaskStatus.CLOSED, datetime(2026, 4, 30, 17, tzinfo=timezone.utc)
        s.commit()
        unit_id, other_id = unit.id, other.id
        assert differences(s) == []
        s.remove()
        downgrade(revision="d4e5f6a7b8c9")  # the counts and triggers go, the tasks stay
        upgrade()  # …and come back filled from the tasks
        s = db.session
        for grain in GRAINS:  # each task once per grain
            assert s.scalar(select(func.sum(UnitTaskCount.n)).where(UnitTaskCount.grain == grain)) == 10
        assert differences(s) == []
        s.execute(update(Task).where(Task.unit_id == other_id).values(unit_id=unit_id, escalation_level=2))
        s.commit()
        assert differences(s) == []
        assert s.scalars(select(UnitTaskCount.unit_id).distinct()).all() == [unit_id]
        s.remove()
        db.engine.dispose()
