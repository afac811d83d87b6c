"""我的整改任务 costs the same whatever the unit's size (issue 10): one statement for the page's rows, counts,
total and unit name, beside the login's own user lookup — the same at 10 tasks and at 1,000. And what that
one statement computes is right: the counts per status, the pager's total, every page in urgency order."""
import re
from datetime import timedelta

from sqlalchemy import event, insert

from tests.factories import make_review, make_unit, make_user
from tests.webhelpers import login
from tracker.models import Comment, EscalationLevel, Role, Task, TaskStatus
from tracker.models.types import utcnow
from tracker.timeutil import local_date

STATUSES = [TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.IN_PROGRESS, TaskStatus.AWAITING_VERIFICATION,
            TaskStatus.CLOSED]


def _unit_with_tasks(session, app, name: str, username: str, tasks: int):
    unit = make_unit(session, name)
    make_user(session, Role.SECRETARY, unit, username=username, name=f"{name}书记")
    review = make_review(session, title=f"{name}述职评议会议")
    comment = Comment(review=review, unit_id=unit.id, position=1, secretary_name="", strengths="", expectations="")
    session.add(comment)
    session.flush()
    today = local_date(utcnow(), app.config["TIMEZONE"])
    now = utcnow()
    session.execute(insert(Task), [
        {"review_id": review.id, "comment_id": comment.id, "unit_id": unit.id, "is_overall": False, "position": 1,
         "ledger_position": i + 1, "problem_text": f"{name}问题{i:04d}", "task_type": "限期整改",
         "deadline": today + timedelta(days=(i * 37) % 200 - 60), "status": STATUSES[i % len(STATUSES)],
         "escalation_level": EscalationLevel.SUPERVISION if i % 11 == 0 else 0, "reminder_cycle": 1, "round": 1,
         "responsible_person": "", "measures": "", "created_at": now, "updated_at": now} for i in range(tasks)])
    session.commit()
    return unit


def _statements(app, db, url: str, username: str) -> list[str]:
    client = app.test_client()
    login(client, username)
    assert client.get(url).status_code == 200  # warm: templates compiled, statements cached
    db.session.remove()  # the request starts without the test's identity map, as in a worker
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return seen


def test_the_page_issues_the_same_statements_at_10_and_at_1000_tasks(app, db):
    _unit_with_tasks(db.session, app, "青山镇", "small", 10)
    _unit_with_tasks(db.session, app, "绿水乡", "large", 1000)
    small = _statements(app, db, "/my/tasks", "small")
    large = _statements(app, db, "/my/tasks", "large")
    assert len(small) == len(large), (small, large)
    # The user behind the cookie, and the page itself: no count query, no lazy load per row or for the unit.
    assert len(large) <= 2, large
    assert len([s for s in large if re.search(r"\bFROM task\b", s)]) == 1, large
    assert len(_statements(app, db, "/my/tasks?page=7", "large")) == len(large)


def _stats(html: str) -> dict:
    return {label: int(n) for n, label in re.findall(r'<div class="stat"><b>(\d+)</b>([^<]+)</div>', html)}


def _problems(html: str) -> list[str]:
    return re.findall(r"绿水乡问题\d{4}", html)


def test_counts_total_and_pages_come_from_the_one_statement(app, db):
    _unit_with_tasks(db.session, app, "青山镇", "small", 10)
    _unit_with_tasks(db.session, app, "绿水乡", "large", 1000)
    client = app.test_client()
    login(client, "large")
    first = client.get("/my/tasks").get_data(as_text=True)
    assert _stats(first) == {"待整改": 200, "整改中": 400, "待销号审核": 200, "已销号": 200}
    assert "第 1 / 20 页，共 1000 项" in first and "责任单位：绿水乡" in first and "青山镇" not in first
    seen = []
    for page in range(1, 21):
        html = client.get(f"/my/tasks?page={page}").get_data(as_text=True)
        assert _stats(html) == _stats(first)
        seen += _problems(html)
    assert len(seen) == len(set(seen)) == 1000  # every task once, no page skipped or repeated
    # Urgency across pages: the open tasks, escalated first, then awaiting verification, then closed.
    assert all(f"绿水乡问题{i:04d}" in seen[:600] for i in range(1000) if i % 5 in (0, 1, 2))
    assert all(f"绿水乡问题{i:04d}" in seen[800:] for i in range(1000) if i % 5 == 4)
    escalated_open = [i for i in range(1000) if i % 11 == 0 and i % 5 in (0, 1, 2)]
    assert sorted(seen[:len(escalated_open)]) == sorted(f"绿水乡问题{i:04d}" for i in escalated_open)
    past_end = client.get("/my/tasks?page=21").get_data(as_text=True)
    assert _stats(past_end) == _stats(first) and "本单位暂无整改任务" in past_end


def test_a_unit_without_tasks_still_shows_its_name_and_zero_counts(app, db):
    unit = make_unit(db.session, "白云村")
    make_user(db.session, Role.SECRETARY, unit, username="empty", name="白云村书记")
    db.session.commit()
    client = app.test_client()
    login(client, "empty")
    html = client.get("/my/tasks").get_data(as_text=True)
    assert "责任单位：白云村" in html and "本单位暂无整改任务" in html
    assert _stats(html) == {"待整改": 0, "整改中": 0, "待销号审核": 0, "已销号": 0}
