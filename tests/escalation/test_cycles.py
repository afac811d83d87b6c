"""Reminder cycles: 退回 / 二次整改 / 回头看 start a new one, 待销号审核 parks the task, 约谈/通报 proposed per cycle."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.escalation.conftest import at, keys_of, received, run_tick
from tracker.models import EscalationLevel, ExtensionRequest, Task, TaskStatus
from tracker.models.notify import OutboxMessage, OutboxStatus, SkippedNotice
from tracker.models.proposals import Proposal, ProposalKind
from tracker.escalation.calendar import WorkCalendar
from tracker.services import workflow
from tracker.services.errors import DomainError
from tracker.services.tasks import decide_extension


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _close(db, task, requested: str, closed: str):
    workflow.apply(db.session, task, "request_closure", actor=None, now=at(requested), reason="已完成")
    workflow.apply(db.session, task, "close", actor=None, now=at(closed))
    db.session.commit()


def _proposals(db):
    return sorted((p.kind, p.scope_key) for p in db.session.scalars(select(Proposal)))


# --- #1: a task sent back to work after its deadline gets a new 整改时限 and a new cycle -------------------

def test_reopen_after_the_deadline_needs_a_new_deadline_and_starts_a_new_cycle(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    run_tick("2026-03-24T09:00")  # remind-5 in cycle 1
    _close(db, task, "2026-03-25T10:00", "2026-03-26T10:00")
    run_tick("2026-04-15T09:00")
    with pytest.raises(DomainError, match="原整改时限2026年3月31日已过"):
        workflow.reopen(db.session, task, actor=people.org, now=at("2026-06-01T10:00"), reason="回头看发现反弹")
    db.session.rollback()
    assert db.session.get(Task, task.id).status == TaskStatus.CLOSED
    with pytest.raises(DomainError, match="早于今天"):
        workflow.reopen(db.session, task, actor=people.org, now=at("2026-06-01T10:00"), reason="回头看发现反弹",
                        new_deadline=date(2026, 5, 29))
    db.session.rollback()

    workflow.reopen(db.session, task, actor=people.org, now=at("2026-06-01T10:00"), reason="回头看发现反弹",
                    new_deadline=date(2026, 6, 30), rules=app.config["ESCALATION_RULES"])
    db.session.commit()
    assert (task.status, task.reminder_cycle, task.cycle_started_on, task.round) == (
        TaskStatus.IN_PROGRESS, 2, date(2026, 6, 1), 2)
    before = len(received(smtp_server))
    run_tick("2026-06-02T09:00")
    db.session.refresh(task)
    assert received(smtp_server)[before:] == [] and task.escalation_level == 0 and _proposals(db) == []
    remind5 = WorkCalendar().before(date(2026, 6, 30), 5)
    run_tick(f"{remind5.isoformat()}T09:00")
    new = received(smtp_server)[before:]
    assert keys_of(new) == [f"task:{task.id}:c2:remind-5"] and new[0]["rcpt"] == ["sec-a@town.test"]


def test_returned_after_the_deadline_the_scan_never_catches_up_on_the_old_days(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    workflow.apply(db.session, task, "request_closure", actor=None, now=at("2026-03-30T10:00"), reason="已完成")
    db.session.commit()
    with pytest.raises(DomainError, match="须设定新的整改时限"):
        workflow.return_task(db.session, task, actor=people.org, now=at("2026-04-15T08:30"), reason="佐证不足")
    db.session.rollback()
    # New deadline 4月20日: its remind-5 (4月13日) lies before the cycle began on 4月15日.
    workflow.return_task(db.session, task, actor=people.org, now=at("2026-04-15T08:30"), reason="佐证不足",
                         new_deadline=date(2026, 4, 20), rules=app.config["ESCALATION_RULES"])
    db.session.commit()
    assert task.next_check_at == at("2026-04-15T08:30") and task.reminder_cycle == 2
    run_tick("2026-04-15T09:00")
    db.session.refresh(task)
    assert received(smtp_server) == [] and task.escalation_level == 0
    [stale] = db.session.scalars(select(SkippedNotice).where(SkippedNotice.task_id == task.id)).all()
    assert stale.rule == "remind-5" and "此前的节点不再补发" in stale.reason
    run_tick("2026-04-16T09:00")
    assert keys_of(received(smtp_server)) == [f"task:{task.id}:c2:remind-2"]


def test_second_round_after_a_poor_assessment_needs_a_new_deadline_once_the_old_passed(app, db, people):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    workflow.request_closure(db.session, task, actor=people.owner, now=at("2026-03-30T10:00"), summary="已完成")
    db.session.commit()
    with pytest.raises(DomainError, match="须设定新的整改时限"):
        workflow.verify(db.session, task, actor=people.org, now=at("2026-04-02T10:00"), assessment="差",
                        reason="群众反映问题依旧")
    db.session.rollback()
    workflow.verify(db.session, task, actor=people.org, now=at("2026-04-02T10:00"), assessment="差",
                    reason="群众反映问题依旧", new_deadline=date(2026, 5, 29), rules=app.config["ESCALATION_RULES"])
    db.session.commit()
    assert (task.status, task.deadline, task.reminder_cycle, task.cycle_started_on) == (
        TaskStatus.IN_PROGRESS, date(2026, 5, 29), 2, date(2026, 4, 2))


def test_returned_before_the_deadline_keeps_its_cycle_without_a_new_deadline(app, db, people):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    workflow.apply(db.session, task, "request_closure", actor=None, now=at("2026-03-20T10:00"), reason="已完成")
    workflow.return_task(db.session, task, actor=people.org, now=at("2026-03-23T10:00"), reason="佐证不足")
    db.session.commit()
    assert (task.deadline, task.reminder_cycle, task.status) == (date(2026, 3, 31), 1, TaskStatus.IN_PROGRESS)


# --- #2: 待销号审核 waits for the organization department, not for the unit ---------------------------

def test_awaiting_verification_is_parked_and_not_counted_for_the_unit(app, db, people, smtp_server):
    tasks = [people.task(db.session, deadline=date(2026, 3, 31), text=f"问题{i}") for i in range(3)]
    db.session.commit()
    for task in tasks:
        workflow.apply(db.session, task, "request_closure", actor=None, now=at("2026-03-20T10:00"), reason="已完成")
    db.session.commit()
    for day in ("2026-03-24", "2026-03-31", "2026-04-01", "2026-04-08", "2026-04-15", "2026-04-29"):
        run_tick(f"{day}T09:00")
    assert received(smtp_server) == [] and _count(db, OutboxMessage) == 0 and _proposals(db) == []
    for task in tasks:
        db.session.refresh(task)
        assert task.escalation_level == 0 and task.next_check_at is None
    workflow.return_task(db.session, tasks[0], actor=people.org, now=at("2026-04-30T10:00"), reason="佐证不足",
                         new_deadline=date(2026, 6, 30), rules=app.config["ESCALATION_RULES"])
    db.session.commit()
    assert tasks[0].next_check_at == at("2026-04-30T10:00")  # the scan looks at it again


# --- #4 / #5: delegate only to a proposal that exists; propose again in a new cycle ---------------------

def test_county_wide_task_at_talk_level_is_mailed_not_delegated(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31), owner=people.org, text="全县共性问题：软弱涣散")
    task.unit_id, task.is_overall, task.comment_id = None, True, None
    db.session.commit()
    run_tick("2026-04-08T09:00")  # 督办
    run_tick("2026-04-15T09:00")  # 约谈 milestone: no unit, so no proposal
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == f"task:{task.id}:c1:level2"))
    assert row.status == OutboxStatus.SENT and _proposals(db) == []
    assert row.subject.startswith("【约谈建议】全县共性问题：") and "县委组织部" not in row.subject
    assert "wang@county.test" in [a for m in received(smtp_server) for a in m["rcpt"]]


def test_unit_notice_is_not_stored_when_a_pending_proposal_blocks_a_new_one(app, db, people, smtp_server):
    for i in range(3):
        people.task(db.session, deadline=date(2026, 3, 31), text=f"逾期问题{i}")
    db.session.commit()
    run_tick("2026-04-01T09:00")
    april = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "unit_overdue"))
    assert april.key.endswith(":2026-04") and april.status == OutboxStatus.DELEGATED
    run_tick("2026-05-06T09:00")  # the April proposal still waits for a decision: nothing new, no key taken
    assert _count(db, OutboxMessage, OutboxMessage.kind == "unit_overdue") == 1


def test_a_task_late_again_after_an_extension_is_proposed_again(app, db, people, smtp_server):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    for day in ("2026-04-08", "2026-04-15"):
        run_tick(f"{day}T09:00")
    db.session.refresh(task)
    assert task.escalation_level == EscalationLevel.TALK
    request = ExtensionRequest(task=task, requested_by_id=people.owner.id, requested_deadline=date(2026, 6, 30),
                               reason="需协调资金")
    db.session.add(request)
    db.session.flush()
    decide_extension(db.session, request, actor=people.org, now=at("2026-04-16T10:00"), approve=True,
                     reason="同意", rules=app.config["ESCALATION_RULES"])
    db.session.commit()
    calendar = WorkCalendar()
    for n in (1, 5, 10):
        run_tick(f"{calendar.after(date(2026, 6, 30), n).isoformat()}T09:00")
    # Changed by issue 11.5 (proposals per person; was one proposal per task and cycle): the secretary's April
    # 约谈 proposal still waits for a decision, so it carries the second cycle's 约谈 too — one proposal.
    assert _proposals(db) == [(ProposalKind.TALK, f"person:{people.owner.id}:2026-04")]
    level2 = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == f"task:{task.id}:c2:level2"))
    assert level2.status == OutboxStatus.DELEGATED
    db.session.refresh(task)
    assert task.escalation_level == EscalationLevel.TALK


# --- #7: a sending window, not the night ---------------------------------------------------------------

@pytest.mark.parametrize("when, next_check", [
    ("2026-04-01T23:40", "2026-04-02T09:00"),
    ("2026-04-01T18:00", "2026-04-02T09:00"),
    ("2026-04-03T19:30", "2026-04-07T09:00"),  # Friday evening, then 清明 and the weekend
])
def test_no_notice_outside_the_sending_window(app, db, people, smtp_server, when, next_check):
    task = people.task(db.session, deadline=date(2026, 3, 31))
    db.session.commit()
    scan, _ = run_tick(when)
    db.session.refresh(task)
    assert received(smtp_server) == [] and scan.notices == 0 and _count(db, OutboxMessage) == 0
    assert task.next_check_at == at(next_check) and task.notice_stage is None
    run_tick(next_check)
    assert len(received(smtp_server)) == 1
