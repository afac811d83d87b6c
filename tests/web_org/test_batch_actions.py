"""Batch actions of the task list: a 整改时限 for the selected, 催办 now through the outbox, the filtered .xlsx."""
import io
from datetime import timedelta

import openpyxl
from sqlalchemy import func, select

from tests.web_org.conftest import login_role, today
from tests.webhelpers import post_form
from tracker.models import AuditEvent
from tracker.models.notify import OutboxMessage


def test_set_deadline_for_the_selected_tasks(app, db, client, world):
    login_role(client, world, "org_dept")
    new = today() + timedelta(days=45)
    ids = [world.overdue.id, world.script.id]
    response = post_form(client, "/org/tasks/batch/deadline", {"task_id": ids, "deadline": new.isoformat()},
                         form_url="/org/tasks")
    assert response.status_code == 302
    db.session.expire_all()
    assert world.overdue.deadline == new and world.script.deadline == new
    assert world.awaiting.deadline != new
    page = client.get("/org/tasks").get_data(as_text=True)
    assert "已为2项任务设置整改时限" in page


def test_a_refused_batch_changes_nothing_and_says_why(app, db, client, world):
    login_role(client, world, "org_dept")
    before = world.overdue.deadline
    response = post_form(client, "/org/tasks/batch/deadline",
                         {"task_id": [world.overdue.id, world.closed.id], "deadline": (today() + timedelta(days=9)).isoformat()},
                         form_url="/org/tasks", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "未修改任何任务" in html
    db.session.expire_all()
    assert world.overdue.deadline == before
    empty = post_form(client, "/org/tasks/batch/urge", {}, form_url="/org/tasks", follow_redirects=True)
    assert "请先勾选要处理的整改任务" in empty.get_data(as_text=True)


def test_urge_now_goes_through_the_outbox_and_is_audited(app, db, client, world):
    login_role(client, world, "org_dept")
    response = post_form(client, "/org/tasks/batch/urge", {"task_id": [world.overdue.id]}, form_url="/org/tasks")
    assert response.status_code == 302
    subjects = db.session.scalars(select(OutboxMessage.subject).where(OutboxMessage.task_id == world.overdue.id)).all()
    assert any(s.startswith("【催办】") for s in subjects)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "urge_now")) == 1


def test_export_the_filtered_list(app, db, client, world):
    login_role(client, world, "org_dept")
    response = client.get(f"/org/tasks/export?unit={world.unit_a.id}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    problems = {row[3] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert world.overdue.problem_text in problems and world.script.problem_text not in problems


def test_a_batch_with_a_bad_date_or_a_value_that_is_no_task_changes_nothing(app, db, client, world):
    login_role(client, world, "org_dept")
    before = world.overdue.deadline
    for data, message in (({"task_id": [world.overdue.id], "deadline": "2026-02-30"}, "整改时限格式不正确"),
                          ({"task_id": [world.overdue.id]}, "请填写整改时限"),
                          ({"task_id": [world.overdue.id, "9" * 15], "deadline": (today() + timedelta(days=9)).isoformat()},
                           "所选任务中有已不存在或无权处理的任务")):
        response = post_form(client, "/org/tasks/batch/deadline", data, form_url="/org/tasks", follow_redirects=True)
        assert message in response.get_data(as_text=True), message
    db.session.expire_all()
    assert world.overdue.deadline == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0
