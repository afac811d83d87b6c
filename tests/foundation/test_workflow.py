"""The status workflow: legal moves, illegal moves refused with a clear message, every move audited."""
import pytest
from sqlalchemy import select

from tests.factories import NOW, make_task, make_unit, make_user
from tracker.models import AuditEvent, Role, TaskStatus
from tracker.services import workflow
from tracker.services.errors import DomainError, PermissionDenied


@pytest.fixture
def people(db):
    unit = make_unit(db.session)
    other = make_unit(db.session, name="白河乡")
    return {
        "unit": unit,
        "secretary": make_user(db.session, Role.SECRETARY, unit, username="sec"),
        "stranger": make_user(db.session, Role.SECRETARY, other, username="sec2"),
        "org": make_user(db.session, Role.ORG_DEPT, username="org"),
        "discipline": make_user(db.session, Role.DISCIPLINE, username="jw"),
    }


def audits(db, task, field="status"):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.task_id == task.id, AuditEvent.field == field).order_by(AuditEvent.id)
    ).all()


def test_full_life_of_a_task_is_audited_step_by_step(db, people):
    task = make_task(db.session, people["unit"], people["secretary"])
    workflow.apply(db.session, task, "start", actor=people["secretary"], now=NOW)
    workflow.request_closure(db.session, task, actor=people["secretary"], now=NOW, summary="已建立制度")
    workflow.verify(db.session, task, actor=people["org"], now=NOW, assessment="好")
    db.session.commit()

    assert task.status == TaskStatus.CLOSED
    assert task.closed_at == NOW
    assert task.next_check_at is None
    moves = [(e.before, e.after, e.actor_id) for e in audits(db, task)]
    assert moves == [
        ("待整改", "整改中", people["secretary"].id),
        ("整改中", "待销号审核", people["secretary"].id),
        ("待销号审核", "已销号", people["org"].id),
    ]
    assert audits(db, task, "assessment")[0].after == "好"


@pytest.mark.parametrize("grade", ["一般", "差"])
def test_weak_assessment_sends_task_back_for_second_round(db, people, grade):
    task = make_task(db.session, people["unit"], people["secretary"], status=TaskStatus.AWAITING_VERIFICATION)
    with pytest.raises(DomainError, match="退回理由"):
        workflow.verify(db.session, task, actor=people["org"], now=NOW, assessment=grade)
    assert task.status == TaskStatus.AWAITING_VERIFICATION

    workflow.verify(db.session, task, actor=people["org"], now=NOW, assessment=grade, reason="台账不全")
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.round == 2
    assert audits(db, task)[-1].note == "台账不全"
    assert [(e.before, e.after) for e in audits(db, task, "round")] == [("1", "2")]


def test_return_requires_a_reason(db, people):
    task = make_task(db.session, people["unit"], people["secretary"], status=TaskStatus.AWAITING_VERIFICATION)
    with pytest.raises(DomainError, match="必须填写理由"):
        workflow.return_task(db.session, task, actor=people["org"], now=NOW, reason="  ")
    assert task.status == TaskStatus.AWAITING_VERIFICATION
    assert audits(db, task) == []


@pytest.mark.parametrize("action", ["close", "return", "reopen"])
def test_only_the_organization_department_closes_returns_or_reopens(db, people, action):
    status = TaskStatus.CLOSED if action == "reopen" else TaskStatus.AWAITING_VERIFICATION
    task = make_task(db.session, people["unit"], people["secretary"], status=status)
    with pytest.raises(PermissionDenied, match="县委组织部"):
        workflow.apply(db.session, task, action, actor=people["secretary"], now=NOW, reason="理由")
    assert task.status == status


@pytest.mark.parametrize("who", ["stranger", "discipline"])
def test_people_outside_the_unit_cannot_move_its_task(db, people, who):
    task = make_task(db.session, people["unit"], people["secretary"])
    with pytest.raises(PermissionDenied):
        workflow.apply(db.session, task, "start", actor=people[who], now=NOW)
    assert task.status == TaskStatus.PENDING


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (TaskStatus.PENDING, "close"),
        (TaskStatus.IN_PROGRESS, "close"),
        (TaskStatus.CLOSED, "request_closure"),
        (TaskStatus.IN_PROGRESS, "start"),
        (TaskStatus.PENDING, "reopen"),
    ],
)
def test_illegal_moves_are_refused_with_the_current_status_named(db, people, status, action):
    task = make_task(db.session, people["unit"], people["secretary"], status=status)
    with pytest.raises(DomainError, match=f"当前状态为“{status}”"):
        workflow.apply(db.session, task, action, actor=people["org"], now=NOW, reason="理由")
    assert task.status == status


def test_reopening_a_closed_task_starts_a_second_round(db, people):
    task = make_task(db.session, people["unit"], people["secretary"], status=TaskStatus.CLOSED)
    task.assessment = "好"
    workflow.apply(db.session, task, "reopen", actor=people["org"], now=NOW, reason="回头看发现反弹")
    assert (task.status, task.round, task.next_check_at, task.assessment) == (TaskStatus.IN_PROGRESS, 2, NOW, None)
    assert [(e.before, e.after) for e in audits(db, task, "round")] == [("1", "2")]
    assert [(e.before, e.after) for e in audits(db, task, "assessment")] == [("好", None)]


def test_allowed_actions_depend_on_role_and_status(db, people):
    task = make_task(db.session, people["unit"], people["secretary"], status=TaskStatus.AWAITING_VERIFICATION)
    assert [t.name for t in workflow.allowed_actions(people["org"], task)] == ["close", "return"]
    assert workflow.allowed_actions(people["secretary"], task) == []
    assert workflow.allowed_actions(people["stranger"], task) == []


def test_unknown_action_is_refused(db, people):
    task = make_task(db.session, people["unit"], people["secretary"])
    with pytest.raises(DomainError, match="未知操作"):
        workflow.apply(db.session, task, "teleport", actor=people["org"], now=NOW)


def test_whoever_requested_closure_cannot_also_verify_it(db, people):
    task = make_task(db.session, people["unit"], people["secretary"], status=TaskStatus.IN_PROGRESS)
    workflow.request_closure(db.session, task, actor=people["org"], now=NOW, summary="代为申请：已完成")
    with pytest.raises(PermissionDenied, match="不能是同一人"):
        workflow.verify(db.session, task, actor=people["org"], now=NOW, assessment="好")
    assert task.status == TaskStatus.AWAITING_VERIFICATION

    colleague = make_user(db.session, Role.ORG_DEPT, username="org2")
    workflow.verify(db.session, task, actor=colleague, now=NOW, assessment="好")
    assert task.status == TaskStatus.CLOSED
