"""Dashboard figures against a known dataset; the expected values are computed here, independently."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import make_review, make_task, make_unit
from tests.web_org.conftest import today
from tests.webhelpers import login, quick_user
from tracker.models import Role, TaskStatus
from tracker.services import dashboard

C, P, W, A = TaskStatus.CLOSED, TaskStatus.IN_PROGRESS, TaskStatus.PENDING, TaskStatus.AWAITING_VERIFICATION
# unit, status, deadline offset in days (None: 长期坚持), escalation level, closed at (UTC) for closed tasks
SPEC = [
    ("东山镇", C, -3, 0, datetime(2026, 1, 5, 2, tzinfo=timezone.utc)),    # Mon 5 Jan (local)
    ("东山镇", C, 10, 1, datetime(2026, 1, 11, 15, tzinfo=timezone.utc)),  # Sun 11 Jan 23:00 local: same week
    ("东山镇", P, -1, 2, None),
    ("东山镇", W, 4, 0, None),
    ("西河乡", C, 5, 0, datetime(2026, 1, 11, 17, tzinfo=timezone.utc)),   # Mon 12 Jan 01:00 local: next week
    ("西河乡", A, -10, 3, None),
    ("西河乡", P, None, 1, None),
    ("南湖街道", W, 30, 0, None),
    ("南湖街道", C, 20, 0, datetime(2026, 2, 20, 4, tzinfo=timezone.utc)),
]


@pytest.fixture
def dataset(app, db):
    s = db.session
    units = {name: make_unit(s, name) for name in dict.fromkeys(row[0] for row in SPEC)}
    review = make_review(s, title="已知数据")
    other = make_review(s, title="另一次会议")
    d = today()
    for name, status, offset, level, closed_at in SPEC:
        task = make_task(s, units[name], review=review, status=status,
                         deadline=None if offset is None else d + timedelta(days=offset))
        task.escalation_level, task.closed_at = level, closed_at
    make_task(s, units["东山镇"], review=other, status=P, deadline=d - timedelta(days=1))  # not in `review`
    quick_user(s, Role.ORG_DEPT, username="zzb", name="王组织")
    s.commit()
    return review, other, units


def expected():
    open_rows = [r for r in SPEC if r[1] != C]
    per_unit = {}
    for name, status, offset, level, _ in SPEC:
        u = per_unit.setdefault(name, {"tasks": 0, "closed": 0, "overdue": 0, "level": 0})
        u["tasks"] += 1
        u["closed"] += status == C
        # 逾期 (lights.is_overdue): a task awaiting 销号 verification has done its part and is not counted.
        u["overdue"] += status in (P, W) and offset is not None and offset < 0
        u["level"] = max(u["level"], level)
    return {
        "total": len(SPEC),
        "closed": sum(r[1] == C for r in SPEC),
        "awaiting": sum(r[1] == A for r in SPEC),
        "overdue": sum(r[1] in (P, W) and r[2] is not None and r[2] < 0 for r in open_rows),
        "levels": {lvl: sum(r[3] == lvl for r in open_rows) for lvl in (1, 2, 3)},
        "units": per_unit,
    }


def test_overview_matches(db, dataset):
    review, _, _ = dataset
    want = expected()
    got = dashboard.overview(db.session, review_id=review.id, today=today())
    assert (got.total, got.closed, got.awaiting, got.overdue) == (want["total"], want["closed"], want["awaiting"],
                                                                  want["overdue"])
    assert got.levels == want["levels"]
    assert got.closure_rate == round(100 * want["closed"] / want["total"], 1)
    across = dashboard.overview(db.session, review_id=None, today=today())
    assert across.total == want["total"] + 1 and across.overdue == want["overdue"] + 1


def test_unit_rows_match_and_sort(db, dataset):
    review, _, _ = dataset
    want = expected()["units"]
    rows = dashboard.unit_rows(db.session, review_id=review.id, today=today(), sort="name",
                               due_soon_days=7)
    assert {r.name: {"tasks": r.tasks, "closed": r.closed, "overdue": r.overdue, "level": r.max_level}
            for r in rows} == want
    lights = {r.name: r.light.key for r in rows}
    assert lights["东山镇"] == "red" and lights["西河乡"] == "red"  # overdue / 督办
    assert lights["南湖街道"] == "green"  # open task due in 30 days
    by_rate = [r.name for r in dashboard.unit_rows(db.session, review_id=review.id, today=today(), sort="-rate", due_soon_days=7)]
    rates = {n: want[n]["closed"] / want[n]["tasks"] for n in want}
    assert by_rate == sorted(want, key=lambda n: -rates[n])
    by_tasks = [r.tasks for r in dashboard.unit_rows(db.session, review_id=review.id, today=today(), sort="tasks", due_soon_days=7)]
    assert by_tasks == sorted(by_tasks)


def test_closures_by_week_and_month(db, dataset):
    review, _, _ = dataset
    weeks = dashboard.closures_over_time(db.session, review_id=review.id, bucket="week", tz="Asia/Shanghai")
    by_week = {p: (n, c) for p, n, c in weeks}
    assert by_week["2026-01-05"] == (2, 2)  # Mon 5 Jan and Sun 11 Jan 23:00 local
    assert by_week["2026-01-12"] == (1, 3)  # Mon 12 Jan 01:00 local, though still 11 Jan in UTC
    assert weeks[-1] == ("2026-02-16", 1, 4)
    assert len(weeks) == 7  # empty weeks are filled in: 5 Jan … 16 Feb
    months = dashboard.closures_over_time(db.session, review_id=review.id, bucket="month", tz="Asia/Shanghai")
    assert months == [("2026-01", 3, 3), ("2026-02", 1, 4)]


def _stat(html, name):
    return re.search(rf'id="stat-{name}">([^<]+)<', html).group(1)


def test_dashboard_page_shows_numbers_and_charts(client, dataset):
    review, _, _ = dataset
    want = expected()
    login(client, "zzb")
    html = client.get(f"/org/?review={review.id}").get_data(as_text=True)
    assert _stat(html, "total") == str(want["total"])
    assert _stat(html, "rate") == f"{100 * want['closed'] / want['total']:.1f}%"
    assert _stat(html, "overdue") == str(want["overdue"])
    for level in (1, 2, 3):
        assert _stat(html, f"level-{level}") == str(want["levels"][level])
    assert html.count("<svg") >= 2 and "<polyline" in html
    # the charts are server-side SVG: no CDN, no inline script; the one script is the app's own (base.html)
    assert "cdn" not in html.lower() and re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js" defer>']
    # the header links sort server-side
    assert f"/org/?review={review.id}&amp;sort=tasks" in html
    sorted_html = client.get(f"/org/?review={review.id}&sort=-tasks").get_data(as_text=True)
    table = sorted_html[sorted_html.index('id="unit-table"'):]
    assert table.index("东山镇") < table.index("西河乡") < table.index("南湖街道")


def test_bad_review_id_is_404_and_unknown_sort_falls_back(client, dataset):
    login(client, "zzb")
    assert client.get("/org/?review=99999").status_code == 404
    assert client.get("/org/?sort=drop%20table").status_code == 200


def test_empty_dashboard(client, app, db):
    quick_user(db.session, Role.ORG_DEPT, username="zzb", name="王组织")
    db.session.commit()
    login(client, "zzb")
    html = client.get("/org/").get_data(as_text=True)
    assert _stat(html, "total") == "0" and _stat(html, "rate") == "0.0%"
    assert "暂无销号记录" in html


def test_units_rank_worst_first_and_their_light_is_their_tasks_worst(db, dataset):
    from sqlalchemy import select

    from tracker.models import Task
    from tracker.services.lights import light_for, worst

    review, _, units = dataset
    rows = dashboard.unit_rows(db.session, review_id=review.id, today=today(), due_soon_days=7)
    # 西河乡 has two 红灯 (督办 and 通报), 东山镇 one (late by a day) and a 黄灯, 南湖街道 none.
    assert [r.name for r in rows] == ["西河乡", "东山镇", "南湖街道"]
    for row in rows:
        tasks = db.session.scalars(select(Task).where(Task.unit_id == row.unit_id, Task.review_id == review.id))
        keys = [light_for(t, today(), 7).key for t in tasks]
        assert row.light.key == worst(keys)
        assert row.lights == {k: keys.count(k) for k in ("red", "yellow", "green", "closed")}
    totals = dashboard.overview(db.session, review_id=review.id, today=today(), due_soon_days=7)
    assert sum(totals.lights.values()) == totals.total and totals.lights["closed"] == totals.closed


def test_closure_rate_line_is_labelled_by_day_and_runs_to_this_week(client, dataset):
    review, _, _ = dataset
    series = dashboard.closures_over_time(db_session(), review_id=review.id, bucket="week", tz="Asia/Shanghai",
                                          until=today())
    rates = dashboard.closure_rate_series(series, total=len(SPEC))
    assert rates[0][0] == "1月5日" and rates[0][1] == round(100 * 2 / len(SPEC), 1)
    monday = today() - timedelta(days=today().weekday())
    assert rates[-1][0] == f"{monday.month}月{monday.day}日" and rates[-1][2] == 4
    login(client, "zzb")
    html = client.get(f"/org/?review={review.id}").get_data(as_text=True)
    assert "1月5日" in html and "2026-01-05" not in html


def db_session():
    from tracker.extensions import db

    return db.session
