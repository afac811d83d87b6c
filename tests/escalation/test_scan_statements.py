"""A scan page costs the same statements at 10 and at 1,000 due tasks, also when it grows what earlier pages
made (issue 10 item 2): the proposals of page 1 get page 2's tasks (an add mail each), and the day's mails
of page 1 (singletons and digests, the organization department's gathering every 督办/约谈 in copy) take
page 2's notices. Counted with a before_cursor_execute listener (an executemany is one round trip)."""
import pytest
from sqlalchemy import event, func, select

from tests.escalation.test_statements import NOW, _world
from tracker.escalation import scan
from tracker.models.notify import OutboxMessage
from tracker.models.proposals import Proposal, ProposalTask


def _two_pages(app, db, monkeypatch, tasks: int) -> tuple[int, int]:
    _world(db.session, app, tasks)
    monkeypatch.setattr(scan, "PAGE_SIZE", tasks // 2)
    counts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        counts[-1] += 1

    scanner, after = scan.Scanner(db.session, now=NOW), 0  # reads the calendar once per scan, not per page
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(2):
            counts.append(0)
            _, after = scanner.page(after)
            db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return counts[0], counts[1]


def _reset(db):
    db.session.remove()
    db.drop_all()
    db.create_all()


def test_a_page_costs_the_same_at_10_and_at_1000_due_tasks(app, db, monkeypatch):
    small = _two_pages(app, db, monkeypatch, 10)
    _reset(db)
    large = _two_pages(app, db, monkeypatch, 1000)
    session = db.session
    # What the second page did at 1,000: every proposal grew by its second half of tasks, with one add mail.
    proposals = session.scalar(select(func.count()).select_from(Proposal))
    assert proposals == 200 and session.scalar(select(func.count()).select_from(ProposalTask)) == 1000
    assert session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.key.like("proposal:%:add:%"))) == proposals
    assert large == small, (small, large)


@pytest.mark.parametrize("tasks", [10, 1000])
def test_a_grown_digest_lists_a_bounded_number_and_counts_the_rest(app, db, monkeypatch, tasks):
    app.config.update(DIGEST_MAX_ITEMS=5)
    _two_pages(app, db, monkeypatch, tasks)
    digest = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("digest:wang@county.test:%"))).one()
    # 王组织 gets every proposal mail of both pages: one per secretary made, then one add mail each.
    assert f"{tasks // 5 * 2}项整改任务通知" in digest.subject
    listed = digest.body_text.count("━━━━ ")
    assert listed == min(5, tasks // 5 * 2)
    if tasks // 5 * 2 > 5:
        assert f"另有{tasks // 5 * 2 - 5}项通知未在本邮件列出" in digest.body_text
