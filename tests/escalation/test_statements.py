"""A scan page costs the same number of statements whatever its size (issue 10 item 2).

Counted with a before_cursor_execute listener on the engine (an executemany counts once, as the database
sees one round trip per batch). The world is built alike at both sizes: tasks 16 working days late on
their first scan (a 约谈 milestone sent, the earlier ones skipped), spread over one secretary per five
tasks, so that each page proposes, skips, audits, delegates and mails — only the number of rows differs.
"""
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from tests.escalation.conftest import at
from tests.factories import make_review, make_unit, make_user
from tracker.models import Comment, Role, Task
from tracker.models.notify import OutboxMessage, SkippedNotice
from tracker.models.proposals import Proposal, ProposalTask

NOW = at("2026-04-22T09:30")  # a Wednesday
DEADLINE = date(2026, 3, 31)  # 16 working days before NOW (清明 4月6日 excluded)


def _world(session, app, tasks: int) -> None:
    owners = []
    for i in range(max(1, tasks // 5)):
        unit = make_unit(session, f"单位{i}")
        owners.append(make_user(session, Role.SECRETARY, unit, username=f"sec{i}", name=f"书记{i}",
                                email=f"sec{i}@town.test"))
    make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="wang@county.test")
    make_user(session, Role.DISCIPLINE, username="jw", name="李纪检", email="li@county.test")
    review = make_review(session)
    comment = Comment(review=review, unit_id=owners[0].unit_id, position=1, secretary_name="", strengths="",
                      expectations="")
    session.add(comment)
    session.flush()
    policy = dict(app.config["ESCALATION_RULES"])
    created = at("2026-02-02T10:00")
    session.execute(insert(Task), [
        {"review_id": review.id, "comment_id": comment.id, "unit_id": owners[i % len(owners)].unit_id,
         "owner_id": owners[i % len(owners)].id, "position": 1, "ledger_position": i + 1,
         "problem_text": f"问题{i}", "task_type": "限期整改", "deadline": DEADLINE, "status": "整改中",
         "policy": policy, "next_check_at": NOW - timedelta(hours=1), "created_at": created, "updated_at": created,
         "escalation_level": 0, "reminder_cycle": 1, "is_overall": False, "responsible_person": "", "measures": "",
         "round": 1} for i in range(tasks)])
    session.commit()


def _first_page_statements(app, db, tasks: int) -> tuple[int, object]:
    """The statements of one page and of the scan's last step, which mails the page's proposals."""
    from tracker.escalation.scan import Scanner

    _world(db.session, app, tasks)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(None, 1)[0].upper())

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        scanner = Scanner(db.session, now=NOW)
        result, _ = scanner.page()
        db.session.commit()
        scanner.due_units.clear()  # the last step (the proposals' mails) without the unit check
        scanner.units()
        db.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements), result


@pytest.mark.parametrize("size", [10, 500])
def test_a_page_does_what_the_ladder_says(app, db, size):
    _count, result = _first_page_statements(app, db, size)
    session = db.session
    assert result.checked == size and result.notices == size
    # One 约谈 proposal per secretary (five tasks each), every task listed once; 提醒×3, 催办, 督办 skipped.
    assert session.scalar(select(func.count()).select_from(Proposal)) == size // 5
    assert session.scalar(select(func.count()).select_from(ProposalTask)) == size
    assert session.scalar(select(func.count()).select_from(SkippedNotice)) == size * 5
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.key.like("proposal:%"))) == size // 5


def test_statements_per_page_do_not_grow_with_the_page(app, db):
    small, _ = _first_page_statements(app, db, 10)
    db.session.remove()
    db.drop_all()
    db.create_all()
    large, result = _first_page_statements(app, db, 500)
    assert result.checked == 500
    assert large == small, (small, large)
