"""Issue 11: with the demo clock a month on, the 工作台, the task list, the 周报 and the 约谈通知书 draft the
scan proposes all give a unit the same 逾期 count (one rule, one county "today")."""
import io
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from docx import Document
from sqlalchemy import select

from jobs.tasks import scan_job
from tests.factories import make_review, make_task, make_unit
from tests.webhelpers import login, quick_user
from tracker import timeutil
from tracker.escalation.digest import unit_summary
from tracker.models import Role, TaskStatus
from tracker.models.proposals import Proposal, ProposalKind, ProposalSubject
from tracker.models.types import utcnow
from tracker.timeutil import local_date

TZ = "Asia/Shanghai"


def _draft(client, proposal) -> str:
    response = client.get(f"/notify/proposals/{proposal.id}/draft.docx")
    assert response.status_code == 200
    return "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)


def test_a_month_on_the_talk_notice_draft_counts_what_the_pages_count(app, db, client, demo_clock):
    s = db.session
    unit, other = make_unit(s, "青山镇"), make_unit(s, "白河乡")
    owner = quick_user(s, Role.SECRETARY, unit, username="sec", name="刘建国")
    quick_user(s, Role.ORG_DEPT, username="zzb", name="王组织")
    today = local_date(utcnow(), TZ)
    review = make_review(s)
    for offset, status in ((2, TaskStatus.IN_PROGRESS), (4, TaskStatus.PENDING), (16, TaskStatus.IN_PROGRESS),
                           (12, TaskStatus.AWAITING_VERIFICATION), (60, TaskStatus.IN_PROGRESS)):
        make_task(s, unit, owner, review, deadline=today + timedelta(days=offset), status=status)
    make_task(s, other, None, review, deadline=today + timedelta(days=5))
    s.commit()

    # A working morning a month on, inside the sending window (09:00–18:00 county time).
    later = today + timedelta(days=33)
    while later.weekday() >= 5:
        later += timedelta(days=1)
    timeutil.set_demo_clock(demo_clock, datetime.combine(later, time(10, 0), ZoneInfo(TZ)).astimezone(timezone.utc))
    scan_job()
    login(client, "zzb")
    now_today = local_date(utcnow(), TZ)

    html = client.get(f"/org/?q={unit.name}").get_data(as_text=True)
    on_dashboard = int(re.search(r'data-label="逾期">(\d+)<', html[html.index('id="unit-table"'):]).group(1))
    listing = client.get(f"/org/tasks?unit={unit.id}&overdue=1").get_data(as_text=True)
    on_list = int(re.search(r"共 (\d+) 个任务", listing).group(1))
    in_weekly = next(line.overdue for line in unit_summary(s, now_today) if line.unit_name == unit.name)

    talks = s.scalars(select(Proposal).where(Proposal.unit_id == unit.id, Proposal.kind == ProposalKind.TALK)).all()
    person = [p for p in talks if p.subject == ProposalSubject.PERSON]
    assert len(person) == 1 and person[0].owner_id == owner.id, "one 约谈 proposal for the secretary, not one per task"
    person_draft = _draft(client, person[0])
    in_draft = int(re.search(r"你单位共有(\d+)项整改任务逾期未完成", person_draft).group(1))
    (for_unit,) = [p for p in talks if p.subject == ProposalSubject.UNIT]  # ≥ 3 overdue: the unit rule
    in_unit_draft = int(re.search(r"你单位有(\d+)项整改任务逾期未完成", _draft(client, for_unit)).group(1))

    # 2, 4 and 16 days out are late a month on; the one awaiting 销号 verification has done its part.
    assert (on_dashboard, on_list, in_weekly, in_draft, in_unit_draft) == (3, 3, 3, 3, 3)
    assert "刘建国同志" in person_draft
