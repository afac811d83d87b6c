"""tracker.services.bulk, on the database the run targets (SQLite, or PostgreSQL's unnest form): rows changed
by id with different column sets, inserts that take the columns' scalar defaults, skip conflicts and return
only what they inserted, and the maintained counts still equal the tasks after a set update."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, select

from tests.factories import make_review, make_task, make_unit, make_user
from tracker.models import AuditEvent, Task
from tracker.models.proposals import ProposalTask
from tracker.services import bulk
from tracker.services.aggregates import differences

NOW = datetime(2026, 6, 15, 1, tzinfo=timezone.utc)


def _tasks(db, n=4):
    unit = make_unit(db.session)
    owner = make_user(db.session, unit=unit, username="sec")
    review = make_review(db.session)
    tasks = [make_task(db.session, unit, owner=owner, review=review, text=f"问题{i}") for i in range(n)]
    db.session.commit()
    return tasks


def test_update_by_id_sets_each_rows_own_columns_in_one_statement_per_column_set(db):
    tasks = _tasks(db)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        sent = bulk.update_by_id(db.session, Task.__table__, [
            {"id": tasks[0].id, "escalation_level": 2, "next_check_at": NOW},
            {"id": tasks[1].id, "escalation_level": 3, "next_check_at": None},
            {"id": tasks[2].id, "next_check_at": NOW},
        ], extra={"updated_at": NOW})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.commit()
    assert sent == 2 and len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 2
    rows = {t.id: (t.escalation_level, t.next_check_at, t.updated_at)
            for t in db.session.scalars(select(Task).execution_options(populate_existing=True))}
    assert rows[tasks[0].id] == (2, NOW, NOW)
    assert rows[tasks[1].id] == (3, None, NOW)
    assert rows[tasks[2].id][1:] == (NOW, NOW) and rows[tasks[2].id][0] == tasks[3].escalation_level
    assert rows[tasks[3].id][2] != NOW  # a row not named is not touched
    assert differences(db.session) == []  # the count triggers saw the set update


def test_insert_rows_fills_scalar_defaults_and_refuses_a_missing_computed_one(db):
    tasks = _tasks(db, 1)
    bulk.insert_rows(db.session, AuditEvent.__table__, [
        {"at": NOW, "entity_type": "task", "entity_id": tasks[0].id, "task_id": tasks[0].id, "action": "escalate"},
        {"at": NOW, "entity_type": "task", "entity_id": tasks[0].id, "task_id": tasks[0].id, "action": "note",
         "note": "有说明"},
    ])
    db.session.commit()
    notes = sorted(db.session.scalars(select(AuditEvent.note).where(AuditEvent.task_id == tasks[0].id)))
    assert notes == ["", "有说明"]
    with pytest.raises(ValueError, match="audit_event.at"):
        bulk.insert_rows(db.session, AuditEvent.__table__, [{"entity_type": "task", "action": "x"}])


def test_insert_rows_skips_conflicts_and_returns_only_the_rows_it_inserted(db):
    from tracker.models.proposals import Proposal, ProposalKind, ProposalStatus, ProposalSubject

    tasks = _tasks(db, 2)
    proposal = Proposal(kind=ProposalKind.TALK, subject=ProposalSubject.PERSON, task_id=tasks[0].id,
                        unit_id=tasks[0].unit_id, scope_key="person:test", reason="", source_level=2, status=ProposalStatus.PENDING,
                        created_at=NOW)
    db.session.add(proposal)
    db.session.commit()

    def link(task, key):
        return {"proposal_id": proposal.id, "task_id": task.id, "deadline": task.deadline, "days_overdue": 1,
                "level": 2, "link_key": key, "added_at": NOW}

    first = bulk.insert_rows(db.session, ProposalTask.__table__, [link(tasks[0], "a")], skip_conflicts=True,
                             returning=[ProposalTask.__table__.c.link_key])
    again = bulk.insert_rows(db.session, ProposalTask.__table__, [link(tasks[0], "a"), link(tasks[1], "b")],
                             skip_conflicts=True, returning=[ProposalTask.__table__.c.link_key])
    db.session.commit()
    assert [r.link_key for r in first] == ["a"]
    assert [r.link_key for r in again] == ["b"]
    assert sorted(db.session.scalars(select(ProposalTask.link_key))) == ["a", "b"]
