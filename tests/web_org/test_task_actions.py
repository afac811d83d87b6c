"""The organization department's actions on a task: each a POST with CSRF, each audited, bad input changes nothing."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from tests.web_org.conftest import today
from tests.webhelpers import login, post_form
from tracker.models import (
    AuditEvent,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    ProgressUpdate,
    Task,
    TaskStatus,
    UpdateKind,
)
from tracker.models.notify import OutboxMessage
from tracker.timeutil import cn_date


def make_extension(db, world, days=30) -> int:
    request = ExtensionRequest(task_id=world.overdue.id, requested_by_id=world.users["secretary_own"].id,
                               requested_deadline=today() + timedelta(days=days), reason="村两委换届，需要延期")
    db.session.add(request)
    db.session.commit()
    return request.id


def counts(db):
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(func.count()).select_from(Task)))


def task(db, task_id) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


def post(client, url, data, task_id):
    return post_form(client, url, data, form_url=f"/org/tasks/{task_id}")


def refused(client, db, url, data, task_id, message) -> str:
    """Posts what must be refused: 400, `message` on the page, and not one row written. Returns the page."""
    before = counts(db)
    response = post(client, url, data, task_id)
    html = response.get_data(as_text=True)
    assert response.status_code == 400, response.status_code
    assert message in html, message
    assert counts(db) == before
    return html


def test_past_deadline_is_refused_with_a_message(client, db, world):
    login(client, "zzb")
    past = today() - timedelta(days=1)
    refused(client, db, f"/org/tasks/{world.overdue.id}/deadline", {"deadline": past.isoformat()}, world.overdue.id,
            f"整改时限{cn_date(past)}早于今天")
    assert task(db, world.overdue.id).deadline == today() - timedelta(days=5)


def test_missing_or_malformed_deadline_shows_message_beside_field(client, db, world):
    login(client, "zzb")
    for value, message in (("", "请填写整改时限"), ("2026-13-45", "整改时限格式不正确")):
        html = refused(client, db, f"/org/tasks/{world.overdue.id}/deadline", {"deadline": value}, world.overdue.id,
                       message)
        assert html.index(message) > html.index('id="deadline-date"')  # beside the field, not only at the top


def test_extending_a_deadline_is_audited_and_shown(client, db, world):
    login(client, "zzb")
    new = today() + timedelta(days=45)
    response = post(client, f"/org/tasks/{world.overdue.id}/deadline",
                    {"deadline": new.isoformat(), "reason": "统筹安排"}, world.overdue.id)
    assert response.status_code == 302
    assert task(db, world.overdue.id).deadline == new
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.task_id == world.overdue.id,
                                                       AuditEvent.field == "deadline"))
    assert event.after == new.isoformat() and event.note == "统筹安排"
    page = client.get(f"/org/tasks/{world.overdue.id}").get_data(as_text=True)
    assert f"整改时限：{cn_date(today() - timedelta(days=5))} → {cn_date(new)}" in page


def test_verify_good_closes_the_task(client, db, world):
    login(client, "zzb")
    response = post(client, f"/org/tasks/{world.awaiting.id}/verify", {"assessment": "较好"}, world.awaiting.id)
    assert response.status_code == 302
    closed = task(db, world.awaiting.id)
    assert closed.status == TaskStatus.CLOSED and closed.assessment == "较好" and closed.closed_at is not None
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.task_id == closed.id)))
    assert {"close", "assess"} <= actions


def test_verify_fair_without_reason_is_refused(client, db, world):
    login(client, "zzb")
    refused(client, db, f"/org/tasks/{world.awaiting.id}/verify", {"assessment": "一般"}, world.awaiting.id, "请填写理由")
    assert task(db, world.awaiting.id).status == TaskStatus.AWAITING_VERIFICATION


def test_verify_poor_with_reason_sends_back_for_second_round(client, db, world):
    login(client, "zzb")
    response = post(client, f"/org/tasks/{world.awaiting.id}/verify",
                    {"assessment": "差", "reason": "整改流于形式"}, world.awaiting.id)
    assert response.status_code == 302
    back = task(db, world.awaiting.id)
    assert back.status == TaskStatus.IN_PROGRESS and back.round == 2 and back.assessment == "差"
    page = client.get(f"/org/tasks/{back.id}").get_data(as_text=True)
    assert "二次整改" in page and "整改流于形式" in page


def test_verify_without_assessment_is_refused(client, db, world):
    login(client, "zzb")
    refused(client, db, f"/org/tasks/{world.awaiting.id}/verify", {"reason": "x"}, world.awaiting.id, "请选择验收评价")


def test_verify_a_task_not_awaiting_shows_the_rule(client, db, world):
    login(client, "zzb")
    refused(client, db, f"/org/tasks/{world.overdue.id}/verify", {"assessment": "好"}, world.overdue.id, "不能审核销号")


def test_return_requires_a_reason(client, db, world):
    login(client, "zzb")
    refused(client, db, f"/org/tasks/{world.awaiting.id}/return", {"reason": "  "}, world.awaiting.id, "请填写退回理由")
    response = post(client, f"/org/tasks/{world.awaiting.id}/return", {"reason": "材料不全"}, world.awaiting.id)
    assert response.status_code == 302
    assert task(db, world.awaiting.id).status == TaskStatus.IN_PROGRESS


def test_extension_approval_moves_the_deadline(client, db, world):
    ext_id = make_extension(db, world, days=25)
    login(client, "zzb")
    page = client.get(f"/org/tasks/{world.overdue.id}").get_data(as_text=True)
    assert "村两委换届，需要延期" in page and "批准延期" in page
    response = post(client, f"/org/tasks/{world.overdue.id}/extensions/{ext_id}", {"decision": "approve"},
                    world.overdue.id)
    assert response.status_code == 302
    assert task(db, world.overdue.id).deadline == today() + timedelta(days=25)
    assert db.session.get(ExtensionRequest, ext_id).status == ExtensionStatus.APPROVED


def test_extension_refusal_needs_a_reason(client, db, world):
    ext_id = make_extension(db, world)
    login(client, "zzb")
    refused(client, db, f"/org/tasks/{world.overdue.id}/extensions/{ext_id}", {"decision": "refuse"},
            world.overdue.id, "请填写驳回理由")
    response = post(client, f"/org/tasks/{world.overdue.id}/extensions/{ext_id}",
                    {"decision": "refuse", "reason": "理由不充分"}, world.overdue.id)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ExtensionRequest, ext_id).status == ExtensionStatus.REFUSED
    assert task(db, world.overdue.id).deadline == today() - timedelta(days=5)


def test_extension_of_another_task_is_404(client, db, world):
    ext_id = make_extension(db, world)
    login(client, "zzb")
    response = post(client, f"/org/tasks/{world.awaiting.id}/extensions/{ext_id}", {"decision": "approve"},
                    world.awaiting.id)
    assert response.status_code == 404


def test_reassign_owner(client, db, world):
    deputy = world.users["deputy"]
    login(client, "zzb")
    response = post(client, f"/org/tasks/{world.awaiting.id}/owner", {"owner_id": str(deputy.id), "reason": "工作调整"},
                    world.awaiting.id)
    assert response.status_code == 302
    assert task(db, world.awaiting.id).owner_id == deputy.id
    page = client.get(f"/org/tasks/{world.awaiting.id}").get_data(as_text=True)
    assert "责任人：张书记 → 孙书记" in page


def test_reassign_to_another_units_secretary_is_refused(client, db, world):
    login(client, "zzb")
    other = world.users["secretary_other"]
    for owner_id, message in ((str(other.id), "责任人必须是该责任单位的书记"), ("", "请选择新的责任人")):
        refused(client, db, f"/org/tasks/{world.awaiting.id}/owner", {"owner_id": owner_id}, world.awaiting.id,
                message)


def test_timeline_shows_updates_evidence_and_notices(client, db, world):
    sec = world.users["secretary_own"]
    update = ProgressUpdate(task_id=world.awaiting.id, author_id=sec.id, kind=UpdateKind.PROGRESS,
                            body="已召开专题会议研究", created_at=datetime(2026, 3, 5, 2, tzinfo=timezone.utc))
    db.session.add(update)
    db.session.flush()
    db.session.add(Evidence(task_id=world.awaiting.id, update_id=update.id, original_name="会议纪要.pdf",
                            stored_name="abc123.pdf", content_type="application/pdf", size=2048, sha256="0" * 64,
                            uploaded_by_id=sec.id))
    db.session.add(OutboxMessage(key="t-1", kind="remind", task_id=world.awaiting.id, to_addresses=["a@example.test"],
                                 cc_addresses=[], subject="整改时限提醒", body_text="x", body_html="x",
                                 next_attempt_at=datetime(2026, 3, 6, tzinfo=timezone.utc),
                                 created_at=datetime(2026, 3, 6, tzinfo=timezone.utc)))
    db.session.commit()
    login(client, "zzb")
    page = client.get(f"/org/tasks/{world.awaiting.id}").get_data(as_text=True)
    assert "已召开专题会议研究" in page and "会议纪要.pdf" in page
    assert "整改时限提醒" in page and "a@example.test" in page


def test_discipline_sees_escalated_task_read_only(client, world):
    login(client, "jw")
    page = client.get(f"/org/tasks/{world.overdue.id}").get_data(as_text=True)
    assert "问题二：集体经济薄弱" in page
    assert "verify-form" not in page and "deadline-form" not in page and "owner-form" not in page


def test_every_reason_field_keeps_its_text_and_shows_its_message(client, db, world):
    """The 理由 fields share one macro: a refusal shows the message beside the field and keeps what was typed."""
    login(client, "zzb")
    deputy = world.users["deputy"]
    long_reason = "很长的理由" * 401  # over the 2000-character limit
    html = refused(client, db, f"/org/tasks/{world.awaiting.id}/owner",
                   {"owner_id": str(deputy.id), "reason": long_reason}, world.awaiting.id, "更换理由不能超过2000个字")
    field = html[html.index('id="owner-reason"'):]
    assert field.index("更换理由不能超过2000个字") < field.index("</div>")
    assert long_reason in field
    html = refused(client, db, f"/org/tasks/{world.awaiting.id}/return", {"reason": ""}, world.awaiting.id,
                   "请填写退回理由")
    assert html.index("请填写退回理由") > html.index('id="return-reason"')


def _past_deadline(db, task_id, days=3):
    row = db.session.get(Task, task_id)
    row.deadline = today() - timedelta(days=days)
    db.session.commit()


def test_second_round_after_the_deadline_requires_a_new_deadline(client, db, world):
    _past_deadline(db, world.awaiting.id)
    login(client, "zzb")
    page = client.get(f"/org/tasks/{world.awaiting.id}").get_data(as_text=True)
    assert "新的整改时限（原整改时限已过，必填）" in page
    refused(client, db, f"/org/tasks/{world.awaiting.id}/verify", {"assessment": "差", "reason": "整改流于形式"},
            world.awaiting.id, "请填写新的整改时限（原整改时限已过，须重新设定）")
    refused(client, db, f"/org/tasks/{world.awaiting.id}/return", {"reason": "材料不全"},
            world.awaiting.id, "请填写新的整改时限")
    refused(client, db, f"/org/tasks/{world.awaiting.id}/return",
            {"reason": "材料不全", "new_deadline": (today() - timedelta(days=1)).isoformat()},
            world.awaiting.id, "新的整改时限不能早于今天")
    new = today() + timedelta(days=20)
    response = post(client, f"/org/tasks/{world.awaiting.id}/verify",
                    {"assessment": "差", "reason": "整改流于形式", "new_deadline": new.isoformat()}, world.awaiting.id)
    assert response.status_code == 302
    back = task(db, world.awaiting.id)
    assert (back.status, back.deadline, back.reminder_cycle, back.round) == (TaskStatus.IN_PROGRESS, new, 2, 2)
    fields = set(db.session.scalars(select(AuditEvent.field).where(AuditEvent.entity_id == back.id)))
    assert {"deadline", "reminder_cycle", "status", "round", "assessment"} <= fields


def test_reopen_by_lookback_restarts_the_reminders(client, db, world):
    _past_deadline(db, world.closed.id)
    login(client, "zzb")
    page = client.get(f"/org/tasks/{world.closed.id}").get_data(as_text=True)
    assert 'id="reopen-form"' in page
    refused(client, db, f"/org/tasks/{world.closed.id}/reopen", {"reason": "回头看发现反弹"}, world.closed.id,
            "请填写新的整改时限")
    new = today() + timedelta(days=30)
    response = post(client, f"/org/tasks/{world.closed.id}/reopen",
                    {"reason": "回头看发现反弹", "new_deadline": new.isoformat()}, world.closed.id)
    assert response.status_code == 302
    back = task(db, world.closed.id)
    assert (back.status, back.deadline, back.reminder_cycle, back.round, back.closed_at) == (
        TaskStatus.IN_PROGRESS, new, 2, 2, None)
    assert back.next_check_at is not None


def test_each_form_says_what_is_wrong_beside_its_field(client, db, world):
    """What the forms parse themselves: an id beyond any row, a chosen 责任人 since deactivated, a malformed date,
    a decision that is neither; each refused with its message and nothing written."""
    login(client, "zzb")
    awaiting = world.awaiting.id
    for owner_id in ("9" * 15, "abc"):
        html = refused(client, db, f"/org/tasks/{awaiting}/owner", {"owner_id": owner_id}, awaiting, "请选择新的责任人")
        assert html.index("请选择新的责任人") > html.index('id="owner-id"')
    deputy = world.users["deputy"]
    deputy.active = False
    db.session.commit()
    refused(client, db, f"/org/tasks/{awaiting}/owner", {"owner_id": str(deputy.id)}, awaiting, "请选择新的责任人")
    html = refused(client, db, f"/org/tasks/{awaiting}/verify",
                   {"assessment": "差", "reason": "整改流于形式", "new_deadline": "明天"}, awaiting,
                   "新的整改时限格式不正确，请按“年-月-日”填写")
    assert 'value="明天"' in html and "整改流于形式</textarea>" in html  # what was typed comes back
    refused(client, db, f"/org/tasks/{awaiting}/verify", {"assessment": "优秀"}, awaiting, "请选择验收评价：好、较好、一般或差")
    ext_id = make_extension(db, world)
    refused(client, db, f"/org/tasks/{world.overdue.id}/extensions/{ext_id}", {"decision": "maybe"},
            world.overdue.id, "请选择批准或驳回")
    assert db.session.get(ExtensionRequest, ext_id).status == ExtensionStatus.REQUESTED
