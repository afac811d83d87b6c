"""The dossier gathers what the department reads; the .docx drafts say the right things."""
from datetime import date, datetime, timedelta, timezone
from io import BytesIO

import docx
import pytest

from tests.factories import make_review, make_task, make_unit, make_user
from tracker.mail.outbox import enqueue_email
from tracker.models import EscalationLevel, Role, UnitKind
from tracker.proposals import decisions
from tracker.proposals import drafts as docx_drafts
from tracker.proposals import service as service
from tracker.proposals.dossier import build_dossier
from tracker.proposals.owner import request_explanation, submit_explanation
from tracker.services import deadlines
from tracker.services import tasks as task_service

SET_AT = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
PROPOSED = datetime(2026, 4, 20, 1, 0, tzinfo=timezone.utc)
DECIDED = datetime(2026, 4, 24, 8, 0, tzinfo=timezone.utc)


def text_of(data: bytes) -> str:
    document = docx.Document(BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
def setup(app, db):
    session = db.session
    town = make_unit(session, "青山镇")
    bureau = make_unit(session, "县教育局", UnitKind.BUREAU)
    owner = make_user(session, Role.SECRETARY, town, username="sec-a", name="甲书记")
    bureau_owner = make_user(session, Role.SECRETARY, bureau, username="sec-b", name="乙书记")
    org = make_user(session, Role.ORG_DEPT, username="zzb", name="王组织")
    review = make_review(session)
    task = make_task(session, town, owner, review, deadline=None, text="党建引领基层治理不够有力")
    deadlines.set_deadline(session, task, date(2026, 3, 31), actor=org, now=SET_AT, rules={"level2_after_workdays": 10})
    task_service.post_progress(session, task, actor=owner, now=SET_AT + timedelta(days=5), body="已召开专题会议")
    enqueue_email(session, key=f"task:{task.id}:overdue", kind="overdue", template="proposal_created",
                  context={"subject": "催办：党建引领", "reason": "", "tasks": [], "kind": "约谈", "link": "", "today": ""},
                  now=SET_AT + timedelta(days=31), to_users=[owner], task_id=task.id)
    task.last_notice_at = SET_AT + timedelta(days=31)
    task.acknowledged_at = SET_AT + timedelta(days=32)
    task.escalation_level = EscalationLevel.TALK
    late = make_task(session, bureau, bureau_owner, review, deadline=date(2026, 2, 20), text="教育整改问题")
    late.escalation_level = EscalationLevel.CIRCULAR
    session.flush()
    return {"session": session, "task": task, "late": late, "owner": owner, "org": org, "bureau": bureau,
            "bureau_owner": bureau_owner, "town": town, "review": review}


def test_dossier_holds_timeline_notices_acknowledgement_progress_and_explanation(setup):
    session, task = setup["session"], setup["task"]
    proposal = service.propose_for_task(session, task, 2, PROPOSED)
    request_explanation(session, proposal, actor=setup["org"], now=PROPOSED, due_on=date(2026, 4, 24), message="")
    submit_explanation(session, task, actor=setup["owner"], now=PROPOSED + timedelta(days=1), body="征地问题导致延误")
    dossier = build_dossier(session, proposal)
    [entry] = dossier.tasks
    labels = [e.title for e in entry.timeline]  # the task page's timeline (tracker.services.timeline)
    assert labels[0] == "整改时限变更" and "2026年3月31日" in entry.timeline[0].change
    assert entry.timeline[0].actor == "王组织"
    assert "系统提出建议" in labels and "情况说明" in labels and "请责任人提交情况说明" in labels
    assert [n.subject for n in entry.notices] == ["催办：党建引领", "【约谈建议】青山镇：党建引领基层治理不够有力",
                                                  "【请提交情况说明】青山镇：党建引领基层治理不够有力"]
    assert entry.notices[0].status == "待发送"
    assert entry.acknowledged_at == SET_AT + timedelta(days=32) and not entry.unacknowledged
    assert [u.body for u in entry.progress] == ["已召开专题会议"]
    assert [u.body for u in entry.explanations] == ["征地问题导致延误"]
    # 3月31日 → 4月30日: 30 calendar days, 21 working days (weekends and 清明 4月4日至6日 not counted).
    assert dossier.days_overdue_on(date(2026, 4, 30)) == {task.id: 21}


def test_talk_notice_for_a_task_and_its_decision(setup):
    session, task = setup["session"], setup["task"]
    proposal = service.propose_for_task(session, task, 2, PROPOSED)
    text = text_of(docx_drafts.talk_notice_docx(proposal, date(2026, 4, 20), "中共青山县委组织部"))
    assert text.startswith("〔2026〕X号\n约谈通知书\n青山镇党委书记甲书记同志：")
    assert "“党建引领基层治理不够有力”（整改时限2026年3月31日），截至2026年4月20日已逾期13个工作日" in text
    assert "中共青山县委组织部\n2026年4月20日" in text and "约谈时间：____年__月__日" in text
    decisions.decide(session, proposal, actor=setup["org"], now=DECIDED, held_on=date(2026, 4, 24),
                   held_by="王组织", doc_number="青组约〔2026〕5号", note="")
    decided = text_of(docx_drafts.talk_notice_docx(proposal, date(2026, 4, 24)))
    assert decided.startswith("青组约〔2026〕5号\n") and "约谈时间：2026年4月24日" in decided and "约谈人：王组织" in decided


def test_talk_notice_for_a_unit_lists_its_tasks(setup):
    session = setup["session"]
    tasks = [make_task(session, setup["bureau"], setup["bureau_owner"], setup["review"], deadline=date(2026, 3, d),
                       text=f"教育问题{d}") for d in (1, 10)] + [setup["late"]]
    proposal = service.propose_for_unit(session, setup["bureau"], tasks, PROPOSED)
    text = text_of(docx_drafts.talk_notice_docx(proposal, date(2026, 4, 20)))
    assert "县教育局党组书记乙书记同志：" in text and "你单位有3项整改任务逾期未完成" in text
    assert "1. 教育整改问题（整改时限2026年2月20日，已逾期40个工作日）" in text
    assert "3. 教育问题10（整改时限2026年3月10日，已逾期28个工作日）" in text
    assert "天" not in text


def test_circular_lists_units_tasks_and_days_overdue(setup):
    session = setup["session"]
    first = service.propose_for_task(session, setup["late"], 3, PROPOSED)
    setup["task"].escalation_level = EscalationLevel.CIRCULAR
    second = service.propose_for_task(session, setup["task"], 3, PROPOSED)
    data = docx_drafts.circular_docx([first, second], date(2026, 4, 30))
    document = docx.Document(BytesIO(data))
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows == [["序号", "责任单位", "整改任务", "整改时限", "逾期工作日"],
                    ["1", "县教育局", "教育整改问题", "2026年2月20日", "48个工作日"],
                    ["2", "青山镇", "党建引领基层治理不够有力", "2026年3月31日", "21个工作日"]]
    text = text_of(data)
    assert "〔2026〕X号" in text and "县教育局、青山镇等2个单位的2项整改任务逾期未完成" in text
    assert text.index("中共××县委组织部") > text.index("二、有关要求") and "2026年4月30日" in text
    decisions.decide(session, first, actor=setup["org"], now=DECIDED, held_on=date(2026, 4, 24), held_by="",
                   doc_number="青组通〔2026〕2号", note="")
    assert "青组通〔2026〕2号" in text_of(docx_drafts.circular_docx([first], date(2026, 4, 30)))
