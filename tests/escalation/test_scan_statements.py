"""A scan page costs the same statements at 10 and at 1,000 due tasks, also when it grows what earlier pages
made (issue 10 item 2): the proposals of page 1 get page 2's tasks. Their mails are drafted once, by the
scan's last step (tracker.proposals.day_mails): one creation mail per proposal listing both pages' tasks,
no same-day add mail, at the same cost at both sizes. Counted with a before_cursor_execute listener (an
executemany is one round trip)."""
import pytest
from sqlalchemy import event, func, select

from tests.escalation.test_statements import NOW, _world
from tracker.escalation import scan
from tracker.models.notify import OutboxMessage
from tracker.models.proposals import Proposal, ProposalTask


def _two_pages(app, db, monkeypatch, tasks: int) -> tuple[int, int, int]:
    _world(db.session, app, tasks)
    monkeypatch.setattr(scan, "PAGE_SIZE", tasks // 2)
    counts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        counts[-1] += 1

    scanner, after = scan.Scanner(db.session, now=NOW), scan.FIRST  # reads the calendar once per scan, not per page
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(2):
            counts.append(0)
            _, after = scanner.page(after)
            db.session.commit()
        counts.append(0)
        scanner.due_units.clear()  # the last step without the unit check: its proposals are not this test's
        scanner.units()
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return counts[0], counts[1], counts[2]


def _reset(db):
    db.session.remove()
    db.drop_all()
    db.create_all()


def test_a_page_costs_the_same_at_10_and_at_1000_due_tasks(app, db, monkeypatch):
    small = _two_pages(app, db, monkeypatch, 10)
    _reset(db)
    large = _two_pages(app, db, monkeypatch, 1000)
    session = db.session
    # What the second page did at 1,000: every proposal grew by its second half of tasks; the last step
    # mailed each proposal once, with all five of its tasks, and no add mail.
    proposals = session.scalar(select(func.count()).select_from(Proposal))
    assert proposals == 200 and session.scalar(select(func.count()).select_from(ProposalTask)) == 1000
    assert not session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.key.like("proposal:%:add:%")))
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("proposal:%"))).all()
    assert len(mails) == proposals and all(m.subject.endswith("：5项整改任务") for m in mails)
    assert large == small, (small, large)


@pytest.mark.parametrize("tasks", [10, 1000])
def test_a_grown_digest_lists_a_bounded_number_and_counts_the_rest(app, db, monkeypatch, tasks):
    app.config.update(DIGEST_MAX_ITEMS=5)
    _two_pages(app, db, monkeypatch, tasks)
    digest = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("digest:wang@county.test:%"))).one()
    # 王组织 gets every proposal mail of the scan: one per secretary, listing both pages' tasks.
    mails = tasks // 5
    assert f"{mails}项整改任务通知" in digest.subject
    listed = digest.body_text.count("━━━━ ")
    assert listed == min(5, mails)
    if mails > 5:
        assert f"另有{mails - 5}项通知未在本邮件列出" in digest.body_text
