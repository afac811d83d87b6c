"""Deadline, owner, plan, progress and extension changes: validated, audited, with the rules snapshot."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import NOW, make_task, make_unit, make_user
from tracker.models import AuditEvent, ExtensionRequest, ExtensionStatus, Role, TaskStatus, TaskType
from tracker.services import deadlines, tasks
from tracker.services.errors import DomainError, PermissionDenied

RULES = {"remind_before_workdays": [5, 2, 0], "level1_after_workdays": 5}


@pytest.fixture
def setup(db):
    unit = make_unit(db.session)
    secretary = make_user(db.session, Role.SECRETARY, unit, username="sec")
    org = make_user(db.session, Role.ORG_DEPT, username="org")
    task = make_task(db.session, unit, secretary)
    return unit, secretary, org, task


def audit_count(db):
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_deadline_change_is_audited_and_snapshots_the_rules(db, setup):
    _, _, org, task = setup
    deadlines.set_deadline(db.session, task, date(2026, 4, 30), actor=org, now=NOW, rules=RULES, reason="会议决定")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.field == "deadline"))
    assert (event.before, event.after, event.actor_id, event.note) == ("2026-03-31", "2026-04-30", org.id, "会议决定")
    assert task.policy == RULES
    RULES["level1_after_workdays"] = 99  # editing the rules later must not touch the snapshot
    assert task.policy["level1_after_workdays"] == 5
    RULES["level1_after_workdays"] = 5


def test_deadline_in_the_past_is_refused_and_nothing_changes(db, setup):
    _, _, org, task = setup
    before = audit_count(db)
    with pytest.raises(DomainError, match="早于今天"):
        deadlines.set_deadline(db.session, task, date(2026, 3, 1), actor=org, now=NOW, rules=RULES)
    assert task.deadline == date(2026, 3, 31)
    assert audit_count(db) == before


def test_secretary_cannot_set_deadline(db, setup):
    _, secretary, _, task = setup
    with pytest.raises(PermissionDenied):
        deadlines.set_deadline(db.session, task, date(2026, 5, 1), actor=secretary, now=NOW, rules=RULES)


def test_plan_moves_pending_task_into_progress(db, setup):
    _, secretary, _, task = setup
    tasks.submit_plan(db.session, task, actor=secretary, now=NOW, measures="建立台账", responsible_person="李四")
    assert (task.status, task.measures, task.responsible_person) == (TaskStatus.IN_PROGRESS, "建立台账", "李四")


@pytest.mark.parametrize("measures", ["", "   "])
def test_empty_plan_is_refused(db, setup, measures):
    _, secretary, _, task = setup
    with pytest.raises(DomainError, match="整改措施"):
        tasks.submit_plan(db.session, task, actor=secretary, now=NOW, measures=measures)
    assert task.status == TaskStatus.PENDING


def test_approved_extension_moves_deadline_and_starts_new_reminder_cycle(db, setup):
    _, secretary, org, task = setup
    request = tasks.request_extension(db.session, task, actor=secretary, now=NOW, new_deadline=date(2026, 5, 15),
                                      reason="项目资金未到位")
    tasks.decide_extension(db.session, request, actor=org, now=NOW, approve=True, reason="", rules=RULES)
    assert request.status == ExtensionStatus.APPROVED
    assert task.deadline == date(2026, 5, 15)
    assert task.reminder_cycle == 2
    fields = set(db.session.scalars(select(AuditEvent.field).where(AuditEvent.task_id == task.id)))
    assert {"deadline", "reminder_cycle"} <= fields


def test_refusing_an_extension_needs_a_reason(db, setup):
    _, secretary, org, task = setup
    request = tasks.request_extension(db.session, task, actor=secretary, now=NOW, new_deadline=date(2026, 5, 15),
                                      reason="理由")
    with pytest.raises(DomainError, match="驳回"):
        tasks.decide_extension(db.session, request, actor=org, now=NOW, approve=False, reason="", rules=RULES)
    assert request.status == ExtensionStatus.REQUESTED
    tasks.decide_extension(db.session, request, actor=org, now=NOW, approve=False, reason="理由不充分", rules=RULES)
    assert (request.status, task.deadline) == (ExtensionStatus.REFUSED, date(2026, 3, 31))


@pytest.mark.parametrize(
    ("new_deadline", "reason", "message"),
    [(date(2026, 5, 1), "", "延期理由"), (date(2026, 3, 20), "理由", "须晚于"), (None, "理由", "日期"),
     (date(2026, 2, 1), "理由", "早于今天")],
)
def test_bad_extension_requests_are_refused(db, setup, new_deadline, reason, message):
    _, secretary, _, task = setup
    with pytest.raises(DomainError, match=message):
        tasks.request_extension(db.session, task, actor=secretary, now=NOW, new_deadline=new_deadline, reason=reason)
    assert db.session.scalar(select(func.count()).select_from(ExtensionRequest)) == 0


def test_only_one_extension_request_waits_at_a_time(db, setup):
    _, secretary, _, task = setup
    tasks.request_extension(db.session, task, actor=secretary, now=NOW, new_deadline=date(2026, 5, 1), reason="一")
    with pytest.raises(DomainError, match="等待审批"):
        tasks.request_extension(db.session, task, actor=secretary, now=NOW, new_deadline=date(2026, 6, 1),
                                reason="二")
    assert db.session.scalar(select(func.count()).select_from(ExtensionRequest)) == 1


def test_no_extension_while_closure_awaits_verification(db, setup):
    _, secretary, _, task = setup
    task.status = TaskStatus.AWAITING_VERIFICATION
    with pytest.raises(DomainError, match="申请销号"):
        tasks.request_extension(db.session, task, actor=secretary, now=NOW, new_deadline=date(2026, 5, 1),
                                reason="理由")


def test_ongoing_tasks_need_no_deadline_and_no_extension(db, setup):
    unit, secretary, _, _ = setup
    task = make_task(db.session, unit, secretary, deadline=None, task_type=TaskType.ONGOING)
    with pytest.raises(DomainError, match="长期坚持"):
        tasks.request_extension(db.session, task, actor=secretary, now=NOW, new_deadline=date(2026, 9, 1),
                                reason="理由")


@pytest.mark.parametrize("who", ["other_unit_secretary", "admin", "org_dept", "inactive_colleague"])
def test_owner_must_be_an_active_secretary_of_the_unit(db, setup, who):
    unit, _, org, task = setup
    candidates = {
        "other_unit_secretary": lambda: make_user(db.session, Role.SECRETARY, make_unit(db.session, "白河乡"),
                                                  username="x"),
        "admin": lambda: make_user(db.session, Role.ADMIN, username="adm"),
        "org_dept": lambda: org,
        "inactive_colleague": lambda: make_user(db.session, Role.SECRETARY, unit, username="old"),
    }
    candidate = candidates[who]()
    if who == "inactive_colleague":
        candidate.active = False
    owner_before = task.owner_id
    with pytest.raises(DomainError, match="责任人|停用"):
        tasks.set_owner(db.session, task, candidate, actor=org, now=NOW)
    assert task.owner_id == owner_before


def test_overall_task_owner_is_from_the_organization_department(db, setup):
    unit, secretary, org, task = setup
    task.is_overall, task.unit_id = True, None
    with pytest.raises(DomainError, match="县委组织部"):
        tasks.set_owner(db.session, task, secretary, actor=org, now=NOW)
    assert tasks.set_owner(db.session, task, org, actor=org, now=NOW)


def test_owner_change_is_audited(db, setup):
    _, _, org, task = setup
    colleague = make_user(db.session, Role.SECRETARY, task.unit, username="new-sec", name="新书记")
    assert tasks.set_owner(db.session, task, colleague, actor=org, now=NOW, reason="人事调整")
    assert task.owner_id == colleague.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.field == "owner_id"))
    assert (event.after, event.actor_id, event.note) == (str(colleague.id), org.id, "人事调整")
