"""Mails about a county's task go to the staff covering that county only: its own 组织部/纪委, its city's and
its province's (and install-wide accounts), never another county's or another city's. Run through the real
scan (jobs.tasks.scan_job at an explicit moment) and the weekly 周报."""
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jobs.tasks import scan_job
from tests.factories import make_task
from tests.tenants.world import build_tenants
from tracker.escalation.calendar import WorkCalendar
from tracker.escalation.digest import enqueue_weekly_digests, week_label
from tracker.models import EscalationLevel, Task, TaskStatus
from tracker.models.notify import DigestMember, Notice, OutboxMessage
from tracker.services import keys

TZ = "Asia/Shanghai"


@pytest.fixture
def tenants(app, db):
    return build_tenants(app, db.session)


def _scan_day(session, today):
    """The next working day after today: every notice of the test is due then, inside the sending window."""
    calendar = WorkCalendar.load(session)
    day = today + timedelta(days=1)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day, calendar


def _deadline(calendar, day, workdays):
    """A deadline `workdays` working days before `day`."""
    deadline = day - timedelta(days=1)
    while calendar.workdays_between(deadline, day) < workdays:
        deadline -= timedelta(days=1)
    return deadline


def _late_tasks(session, county, day, calendar):
    r = county.records
    supervised = make_task(session, r.unit, r.secretary, r.review, deadline=_deadline(calendar, day, 7),
                           text=f"{county.node.name}：督办用任务", status=TaskStatus.IN_PROGRESS)
    talked = make_task(session, r.unit, r.secretary, r.review, deadline=_deadline(calendar, day, 13),
                       text=f"{county.node.name}：约谈用任务", status=TaskStatus.IN_PROGRESS)
    return supervised, talked


def _addresses(row) -> set[str]:
    return {a.lower() for a in [*row.to_addresses, *row.cc_addresses]}


def _emails(t, *names) -> set[str]:
    return {t.users[n].email.lower() for n in names}


@pytest.fixture
def scanned(app, db, tenants):
    s = db.session
    day, calendar = _scan_day(s, tenants.today)
    tasks = {"east": _late_tasks(s, tenants.east, day, calendar), "west": _late_tasks(s, tenants.west, day, calendar),
             "far": _late_tasks(s, tenants.far, day, calendar)}
    s.commit()
    before = s.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1)) or 0
    scan_job(now=datetime.combine(day, time(10, 0), ZoneInfo(TZ)).astimezone(UTC))
    rows = s.scalars(select(OutboxMessage).where(OutboxMessage.id > before)).all()
    return tenants, tasks, rows


def _about(t, rows, county, tasks):
    """The scan's 督办 and 约谈 notices and proposal mails about `county`'s tasks and unit."""
    ids = {task.id for task in tasks}
    unit_id = county.records.unit.id
    level1 = [r for r in rows if r.kind == "task_level1" and r.task_id in ids]
    level2 = [r for r in rows if r.kind == "task_level2" and r.task_id in ids]
    proposal = [r for r in rows if r.kind.startswith("proposal_") and r.unit_id == unit_id]
    return level1, level2, proposal


COVER_EAST = ("org_e", "org_city", "org_prov")
FOREIGN_TO_EAST = ("org_w", "org_f", "org_other_city")


def test_supervision_and_talk_notices_go_to_the_staff_covering_the_county(scanned):
    t, tasks, rows = scanned
    supervised, talked = tasks["east"]
    assert supervised.escalation_level == EscalationLevel.SUPERVISION
    assert talked.escalation_level == EscalationLevel.TALK
    level1, level2, proposal = _about(t, rows, t.east, tasks["east"])
    assert level1 and level2 and proposal, "the scan wrote no 督办 / 约谈 notice or proposal mail for 东山县"
    for row in level1:
        assert _emails(t, *COVER_EAST) <= _addresses(row), row.kind
        assert not _emails(t, *FOREIGN_TO_EAST) & _addresses(row), row.kind
    for row in level2 + proposal:
        assert _emails(t, *COVER_EAST, "disc_e") <= _addresses(row), row.kind
        assert not _emails(t, *FOREIGN_TO_EAST) & _addresses(row), row.kind


def test_a_neighbouring_county_s_notices_skip_east_s_staff(scanned):
    t, tasks, rows = scanned
    for name, county, covering, foreign in (
            ("west", t.west, ("org_w", "org_city", "org_prov"), ("org_e", "disc_e", "org_f", "org_other_city")),
            ("far", t.far, ("org_f", "org_other_city", "org_prov"), ("org_e", "org_w", "org_city", "disc_e"))):
        level1, level2, proposal = _about(t, rows, county, tasks[name])
        assert level1 and level2 and proposal, name
        for row in level1 + level2 + proposal:
            assert _emails(t, *covering) <= _addresses(row), (name, row.kind)
            assert not _emails(t, *foreign) & _addresses(row), (name, row.kind)


def test_no_foreign_day_digest_or_in_app_notice_carries_east_s_notices(db, scanned):
    t, tasks, rows = scanned
    east_ids = {task.id for task in tasks["east"]}
    east_rows = {r.id for r in rows if r.task_id in east_ids or r.unit_id == t.east.records.unit.id}
    digests = {r.id: r for r in rows if r.key.startswith("digest:")}
    members = db.session.execute(select(DigestMember.digest_id, DigestMember.message_id)
                                 .where(DigestMember.digest_id.in_(list(digests)))).all()
    foreign = _emails(t, *FOREIGN_TO_EAST)
    assert not [d for d, m in members if m in east_rows and _addresses(digests[d]) & foreign]
    noticed = set(db.session.scalars(select(Notice.user_id).where(Notice.task_id.in_(east_ids))))
    assert {t.users[n].id for n in COVER_EAST} <= noticed
    assert not {t.users[n].id for n in FOREIGN_TO_EAST} & noticed


def _open_count(session, *counties) -> int:
    return len(session.scalars(select(Task.id).where(Task.county_id.in_([c.node.id for c in counties]),
                                                     Task.status != TaskStatus.CLOSED)).all())


def test_the_weekly_digest_of_a_county_reads_its_county_only(app, db, tenants):
    s, t = db.session, tenants
    now = datetime.combine(t.today, time(10, 0), ZoneInfo(TZ)).astimezone(UTC)
    enqueue_weekly_digests(s, now)
    s.commit()
    week = week_label(t.today)

    def subject(name):
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.key == keys.weekly_org_user(week, t.users[name].id)))
        assert row is not None, f"no 周报 for {name}"
        return row.subject

    expected = {"org_e": (t.east,), "org_w": (t.west,), "org_f": (t.far,), "org_city": (t.east, t.west),
                "org_other_city": (t.far,), "org_prov": (t.east, t.west, t.far)}
    for name, counties in expected.items():
        assert f"在办{_open_count(s, *counties)}项" in subject(name), name
