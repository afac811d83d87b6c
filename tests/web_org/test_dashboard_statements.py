"""The 工作台 issues the same statements at 10 and at 1,000 tasks: it reads the maintained counts, and the
unit table is one page of them, not a query per unit or per task."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, insert

from tests.factories import make_review, make_unit
from tests.web_org.conftest import today
from tests.webhelpers import login, quick_user
from tracker.models import Role, Task, TaskStatus

NOW = datetime(2026, 5, 1, 2, tzinfo=timezone.utc)


def _add_tasks(db, units, review, n: int, start: int) -> None:
    statuses = list(TaskStatus)
    rows = [{"review_id": review.id, "unit_id": units[i % len(units)].id, "is_overall": False, "position": 1,
             "ledger_position": start + i, "problem_text": f"第{i}项问题", "task_type": "限期整改",
             "deadline": today() + timedelta(days=i % 97 - 60), "status": statuses[i % 4],
             "closed_at": NOW - timedelta(days=i % 50) if statuses[i % 4] == TaskStatus.CLOSED else None,
             "escalation_level": i % 4 if i % 3 == 0 else 0, "created_at": NOW, "updated_at": NOW}
            for i in range(n)]
    db.session.execute(insert(Task), rows)
    db.session.commit()


def _statements(app, db, client, url: str) -> list[str]:
    client.get(url)  # warm: the login's first load of the user and its caches
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return seen


def test_dashboard_statements_do_not_grow_with_tasks(app, db, client):
    s = db.session
    units = [make_unit(s, f"单位{i:02d}") for i in range(30)]
    review = make_review(s)
    quick_user(s, Role.ORG_DEPT, username="zzb", name="王组织")
    s.commit()
    login(client, "zzb")
    _add_tasks(db, units, review, 10, start=1)
    small = _statements(app, db, client, "/org/")
    _add_tasks(db, units, review, 990, start=11)
    large = _statements(app, db, client, "/org/")
    assert len(large) == len(small), "\n".join(large)
    # …and so does one review's 工作台, the second page of units and a unit search.
    for url in (f"/org/?review={review.id}", "/org/?page=2", "/org/?q=单位1"):
        assert len(_statements(app, db, client, url)) == len(small)
    html = client.get("/org/").get_data(as_text=True)
    assert 'id="stat-total">1000<' in html
