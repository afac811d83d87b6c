"""Every proposal route as every role; forms with errors beside fields; user text escaped; CSRF enforced."""
import re
from io import BytesIO

import docx
import pytest
from sqlalchemy import func, select

from tests.proposals.conftest import ROLES, SCRIPT, client_for
from tests.webhelpers import csrf_token, extract_csrf
from tracker.escalation.calendar import WorkCalendar
from tracker.extensions import db as _db
from tracker.models import ProgressUpdate, UpdateKind
from tracker.models.proposals import (
    OrgHandling,
    Proposal,
    ProposalDecision,
    ProposalStatus,
)

READERS = {"org_dept", "discipline"}


def _expect_hidden(response, role):
    """404 for a logged-in user without access; the login page for an anonymous one."""
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_lists(app, world, role):
    client = client_for(app, world, role)
    response = client.get("/notify/proposals")
    if role not in READERS:
        return _expect_hidden(response, role)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "约谈建议（待决定，共2项）" in html and world.talk.reason in html and world.unit_talk.reason in html
    assert world.circular.reason not in html
    circular = client.get("/notify/proposals?kind=circular").get_data(as_text=True)
    assert "通报建议（待决定，共1项）" in circular and world.circular.reason in circular
    assert ("记录组织处理" in html) == (role == "org_dept")
    closed = client.get("/notify/proposals?kind=talk&state=closed&page=x").get_data(as_text=True)
    assert "暂无已处理的约谈建议" in closed


@pytest.mark.parametrize("role", ROLES)
def test_proposal_page(app, world, role):
    client = client_for(app, world, role)
    response = client.get(f"/notify/proposals/{world.unit_talk.id}")
    if role not in READERS:  # the secretary concerned included: a proposal is 组织部's and 纪委's deliberation
        return _expect_hidden(response, role)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert world.unit_talk.reason in html and "督办材料" in html
    assert "党建引领基层治理不够有力" in html and "村级集体经济薄弱" in html
    now_late = WorkCalendar.load(_db.session).workdays_between(world.late.deadline, world.today)
    assert f"截至{world.today.year}年{world.today.month}月{world.today.day}日已逾期{now_late}个工作日" in html
    assert SCRIPT not in html and "&lt;script&gt;alert(" in html  # a task's text, escaped
    assert ('action="/notify/proposals/%d/decide"' % world.unit_talk.id in html) == (role == "org_dept")
    assert ('action="/notify/proposals/%d/dismiss"' % world.unit_talk.id in html) == (role == "org_dept")
    assert ('action="/notify/proposals/%d/request-explanation"' % world.unit_talk.id in html) == (role == "org_dept")
    assert ("draft.docx" in html) == (role in READERS)
    assert client.get("/notify/proposals/999999").status_code == 404  # logged in: a missing proposal is 404


def _post(client, url, data, form_url):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, form_url)})


def _decision_count(db):
    return db.session.scalar(select(func.count()).select_from(ProposalDecision))


@pytest.mark.parametrize("role", ROLES)
def test_decide(app, db, world, role):
    client = client_for(app, world, role)
    url = f"/notify/proposals/{world.talk.id}/decide"
    data = {"held_on": world.today.isoformat(), "held_by": "王组织、李纪检", "doc_number": "〔2026〕7号", "note": "<b>备注</b>"}
    if role != "org_dept":
        token_page = "/" if role != "anonymous" else "/login"
        response = client.post(url, data={**data, "csrf_token": csrf_token(client, token_page)})
        _expect_hidden(response, role)
        assert _decision_count(db) == 0
        return
    response = _post(client, url, data, f"/notify/proposals/{world.talk.id}")
    assert response.status_code == 302
    db.session.expire_all()
    proposal = db.session.get(Proposal, world.talk.id)
    assert proposal.status == ProposalStatus.DECIDED and proposal.decision.doc_number == "〔2026〕7号"
    page = client.get(f"/notify/proposals/{world.talk.id}").get_data(as_text=True)
    assert "已记录约谈决定" in page and "〔2026〕7号" in page and "&lt;b&gt;备注&lt;/b&gt;" in page
    assert 'action="/notify/proposals/%d/decide"' % world.talk.id not in page  # decided: no second decision
    closed = client.get("/notify/proposals?kind=talk&state=closed").get_data(as_text=True)
    assert "〔2026〕7号" in closed and "王组织" in closed


def test_decide_with_bad_input_shows_messages_beside_fields_and_keeps_values(app, db, world):
    client = client_for(app, world, "org_dept")
    form_url = f"/notify/proposals/{world.talk.id}"
    response = _post(client, f"{form_url}/decide", {"held_on": "", "held_by": "<i>张</i>", "doc_number": "", "note": ""},
                     form_url)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="held_on"[^>]*>\s*<div class="error" id="err-held_on" role="alert">请填写约谈日期</div>', html)
    assert "请填写文号或备注（至少填写一项）" in html
    assert 'value="&lt;i&gt;张&lt;/i&gt;"' in html  # kept, escaped
    assert _decision_count(db) == 0 and db.session.get(Proposal, world.talk.id).status == ProposalStatus.PENDING


def test_a_malformed_date_is_refused_beside_its_field(app, db, world):
    client = client_for(app, world, "org_dept")
    form_url = f"/notify/proposals/{world.circular.id}"
    response = _post(client, f"{form_url}/decide", {"held_on": "2026/13/40", "held_by": "", "doc_number": "〔2026〕1号",
                                                    "note": ""}, form_url)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="held_on"[^>]*>\s*<div class="error" id="err-held_on" role="alert">'
                     r'通报印发日期格式不正确，请按 2026-03-31 的格式填写</div>', html)
    assert 'value="2026/13/40"' in html and 'value="〔2026〕1号"' in html
    assert _decision_count(db) == 0


def test_posts_without_csrf_are_refused(app, db, world):
    client = client_for(app, world, "org_dept")
    response = client.post(f"/notify/proposals/{world.talk.id}/dismiss", data={"reason": "理由"})
    assert response.status_code == 400
    assert _decision_count(db) == 0


@pytest.mark.parametrize("role", ROLES)
def test_dismiss(app, db, world, role):
    client = client_for(app, world, role)
    url = f"/notify/proposals/{world.circular.id}/dismiss"
    if role != "org_dept":
        response = client.post(url, data={"reason": "理由", "csrf_token": csrf_token(client, "/")})
        _expect_hidden(response, role)
        assert _decision_count(db) == 0
        return
    form_url = f"/notify/proposals/{world.circular.id}"
    empty = _post(client, url, {"reason": " "}, form_url)
    assert empty.status_code == 400 and "驳回必须填写理由" in empty.get_data(as_text=True)
    assert _decision_count(db) == 0
    response = _post(client, url, {"reason": "已批准延期"}, form_url)
    assert response.status_code == 302
    again = _post(client, url, {"reason": "再次驳回"}, "/notify/proposals")
    assert again.status_code == 302
    assert "已驳回，不能再次处理" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _decision_count(db) == 1


@pytest.mark.parametrize("role", ROLES)
def test_explanation(app, db, world, role):
    """Asked for from the proposal page by 组织部, answered on the task page by the secretary concerned only."""
    org = client_for(app, world, "org_dept")
    form_url = f"/notify/proposals/{world.unit_talk.id}"
    asked = _post(org, f"{form_url}/request-explanation", {"due_on": world.today.isoformat(), "message": ""}, form_url)
    assert asked.status_code == 302
    client = client_for(app, world, role)
    url = f"/tasks/{world.late.id}/explanation"
    data = {"explanation": "<b>征地</b>延误，已协调"}
    if role != "secretary_own":
        response = client.post(url, data={**data, "csrf_token": csrf_token(client, "/")})
        _expect_hidden(response, role)
        assert db.session.scalar(select(func.count()).select_from(ProgressUpdate)
                                 .where(ProgressUpdate.kind == UpdateKind.EXPLANATION)) == 0
        return
    task_url = f"/tasks/{world.late.id}"
    missing = _post(client, url, {"explanation": ""}, task_url)
    assert missing.status_code == 400 and "请填写情况说明" in missing.get_data(as_text=True)
    assert _post(client, url, data, task_url).status_code == 302
    page = client.get(task_url).get_data(as_text=True)
    assert "&lt;b&gt;征地&lt;/b&gt;延误，已协调" in page and "<b>征地</b>" not in page
    org_page = org.get(form_url).get_data(as_text=True)
    assert "&lt;b&gt;征地&lt;/b&gt;延误" in org_page  # in the dossier the department reads


def _docx_text(data: bytes) -> str:
    document = docx.Document(BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("role", ROLES)
def test_drafts(app, world, role):
    client = client_for(app, world, role)
    talk = client.get(f"/notify/proposals/{world.talk.id}/draft.docx")
    circular = client.get("/notify/proposals/circular-draft.docx")
    if role not in READERS:
        _expect_hidden(talk, role)
        return _expect_hidden(circular, role)
    assert talk.status_code == 200 and talk.mimetype.endswith("wordprocessingml.document")
    text = _docx_text(talk.data)
    assert "约谈通知书" in text and "青山镇党委书记甲书记同志：" in text and "党建引领基层治理不够有力" in text
    # The world's deadlines are 30 and 45 calendar days ago: the drafts count the working days among them.
    calendar = WorkCalendar.load(_db.session)
    late = calendar.workdays_between(world.late.deadline, world.today)
    very_late = calendar.workdays_between(world.very_late.deadline, world.today)
    assert late < 30 and very_late < 45
    assert f"已逾期{late}个工作日" in text and f"〔{world.today.year}〕X号" in text
    table = _docx_text(circular.data)
    assert "关于部分整改任务逾期未完成情况的通报" in table and "村级集体经济薄弱" in table
    assert "逾期工作日" in table and f"{very_late}个工作日" in table


@pytest.mark.parametrize("role", ROLES)
def test_org_handling_page(app, db, world, role):
    client = client_for(app, world, role)
    response = client.get(f"/notify/org-handling?proposal={world.talk.id}")
    if role != "org_dept":
        _expect_hidden(response, role)
        posted = client.post("/notify/org-handling", data={"csrf_token": csrf_token(client, "/")})
        _expect_hidden(posted, role)
        assert db.session.scalar(select(func.count()).select_from(OrgHandling)) == 0
        return
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "系统不提出组织处理建议" in html
    assert f'<option value="{world.unit_a.id}" selected>' in html  # the linked proposal's unit
    token = extract_csrf(html)
    bad = client.post("/notify/org-handling", data={"csrf_token": token, "proposal_id": str(world.talk.id),
                                                    "unit_id": str(world.unit_a.id), "cadre_id": "", "measure": "",
                                                    "doc_number": "", "decided_on": ""})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in ("请选择该责任单位的书记", "请选择组织处理方式", "请填写组织处理决定的文号", "请填写决定日期"):
        assert message in body
    assert db.session.scalar(select(func.count()).select_from(OrgHandling)) == 0
    good = client.post("/notify/org-handling", data={
        "csrf_token": token, "proposal_id": str(world.talk.id), "unit_id": str(world.unit_a.id),
        "cadre_id": str(world.users["secretary_own"].id), "measure": "调整职务", "doc_number": "〔2026〕12号",
        "decided_on": world.today.isoformat(), "note": SCRIPT})
    assert good.status_code == 302
    listing = client.get("/notify/org-handling").get_data(as_text=True)
    assert "甲书记" in listing and "〔2026〕12号" in listing and SCRIPT not in listing and "&lt;script&gt;" in listing
    assert "调整职务（〔2026〕12号" in client.get(f"/notify/proposals/{world.talk.id}").get_data(as_text=True)


def test_secretary_task_page_shows_no_pending_proposal(app, world):
    client = client_for(app, world, "secretary_own")
    for task in (world.late, world.very_late, world.script_task):
        html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
        assert "/notify/proposals" not in html and "建议" not in html and "待决定" not in html
        assert "提交情况说明" not in html  # nobody asked for one yet
    assert "督办等级</dt><dd>督办" in client.get(f"/tasks/{world.very_late.id}").get_data(as_text=True)
