"""Issue 13 end to end: the real scan escalates three tasks of one secretary to 约谈 and 通报 proposals, the
real SMTP server receives every mail, and nothing the secretary receives or reads (mails, the 周报, the
task page, the task list, 我的通知, the ledger) shows a pending or dismissed proposal; once 组织部 decides,
the secretary reads the decision (date, 文号, what is asked) and nothing of the deliberation; a 情况说明 is
asked for explicitly, mailed without the proposal, answered on the task page and read in the dossier."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from jobs.tasks import delivery_job, digest_job, scan_job
from tests.factories import make_review, make_task, make_unit, make_user
from tests.webhelpers import csrf_token, login
from tracker.models import AuditEvent, ProgressUpdate, Role, UpdateKind
from tracker.models.notify import Notice, OutboxMessage
from tracker.models.proposals import ExplanationRequest, Proposal, ProposalKind, ProposalStatus
from tracker.models.types import utcnow
from tracker.timeutil import at_local, local_date

SEC_MAIL = "sec-a@example.test"
SECRETS = ("jw@example.test", "jw-office@example.test", "纪委", "建议", "待决定", "约谈", "通报", "驳回")
NOTE = "内部备注：纪委监委派员参加"
OWNER_NOTICE = "请于2026年5月20日上午9时到县委组织部接受约谈"
DISMISS_REASON = "内部研究：暂不通报"


@pytest.fixture
def escalated(app, db, smtp_server):
    """Four months of scans, deliveries and 周报 at 09:00 on every day; returns the secretary and the tasks."""
    app.config.update(ORG_DEPT_CONTACT_EMAIL="zzb-office@example.test",
                      DISCIPLINE_CONTACT_EMAIL="jw-office@example.test")
    session = db.session
    rules = dict(app.config["ESCALATION_RULES"])
    unit = make_unit(session, "青山镇")
    secretary = make_user(session, Role.SECRETARY, unit, username="sec-a", name="甲书记", email=SEC_MAIL)
    make_user(session, Role.ORG_DEPT, username="zzb", name="王组织", email="zzb@example.test")
    make_user(session, Role.DISCIPLINE, username="jw", name="李纪检", email="jw@example.test")
    review = make_review(session)
    tasks = [make_task(session, unit, secretary, review, deadline=date(2026, 3, 31), text=f"青山镇问题{i}",
                       rules=rules) for i in range(3)]
    for task in tasks:
        task.next_check_at = at_local(date(2026, 3, 2), 9)
    session.commit()
    day = date(2026, 3, 2)
    while day <= date(2026, 6, 30):
        moment = at_local(day, 9)
        scan_job(now=moment)
        digest_job(now=moment)
        delivery_job(now=moment)
        day += timedelta(days=1)
    return {"secretary": secretary, "tasks": tasks, "review": review, "smtp": smtp_server}


def _leaks(text: str) -> list[str]:
    return [word for word in SECRETS if word in text]


def _mails_to_secretary(smtp) -> list[tuple[str, str]]:
    found = []
    for item in smtp.messages:
        if SEC_MAIL in item["rcpt"]:
            message = item["message"]
            parts = [message["Subject"], message.get("Cc", "") or ""]
            parts += [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
            found.append((message["Subject"], "\n".join(parts)))
    return found


def _secretary_pages(app, world) -> dict[str, str]:
    client = app.test_client()
    login(client, "sec-a")
    urls = [f"/tasks/{t.id}" for t in world["tasks"]] + ["/my/tasks", "/notify/notices",
                                                         f"/ledger/print?review={world['review'].id}"]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.get_data(as_text=True)
    return pages


def test_the_secretary_never_meets_a_pending_or_dismissed_proposal(app, db, escalated):
    session = db.session
    proposals = session.scalars(select(Proposal)).all()
    kinds = {p.kind for p in proposals if p.status == ProposalStatus.PENDING}
    assert kinds == {ProposalKind.TALK, ProposalKind.CIRCULAR}  # the deliberation is there to hide
    assert all(t.escalation_level == 3 for t in escalated["tasks"])
    # 组织部 and 纪委 were mailed about it (with 纪委 in copy): the secret exists in the outbox.
    assert any("jw-office@example.test" in m["rcpt"] and "建议" in m["message"]["Subject"]
               for m in escalated["smtp"].messages)

    mails = _mails_to_secretary(escalated["smtp"])
    subjects = [subject for subject, _ in mails]
    assert any("提醒" in s for s in subjects) and any("督办" in s for s in subjects)
    assert any("本周整改任务提醒" in s for s in subjects)  # the weekly 周报 reached the secretary
    assert {subject: _leaks(text) for subject, text in mails if _leaks(text)} == {}
    notices = session.scalars(select(Notice).where(Notice.user_id == escalated["secretary"].id)).all()
    assert notices and {n.title: _leaks(n.title + n.body) for n in notices if _leaks(n.title + n.body)} == {}
    pages = _secretary_pages(app, escalated)
    assert {url: _leaks(html) for url, html in pages.items() if _leaks(html)} == {}
    assert "督办" in pages[f"/tasks/{escalated['tasks'][0].id}"]
    # Every proposal URL answers 404 to the secretary concerned.
    client = app.test_client()
    login(client, "sec-a")
    for proposal in proposals:
        for suffix in ("", "/draft.docx"):
            assert client.get(f"/notify/proposals/{proposal.id}{suffix}").status_code == 404
        posted = client.post(f"/notify/proposals/{proposal.id}/decide",
                             data={"csrf_token": csrf_token(client, "/account/password")})
        assert posted.status_code == 404

    # 组织部 decides the 约谈 and dismisses the 通报.
    talk = next(p for p in proposals if p.kind == ProposalKind.TALK and p.is_pending and p.subject != "unit")
    circular = next(p for p in proposals if p.kind == ProposalKind.CIRCULAR and p.is_pending)
    org = app.test_client()
    login(org, "zzb")
    held_on = local_date(talk.created_at, app.config["TIMEZONE"]) + timedelta(days=3)
    token = csrf_token(org, f"/notify/proposals/{talk.id}")
    assert org.post(f"/notify/proposals/{talk.id}/decide", data={
        "csrf_token": token, "held_on": held_on.isoformat(), "held_by": "王组织、李纪检",
        "doc_number": "青组约[2026]3号", "note": NOTE, "owner_notice": OWNER_NOTICE}).status_code == 302
    assert org.post(f"/notify/proposals/{circular.id}/dismiss",
                    data={"csrf_token": token, "reason": DISMISS_REASON}).status_code == 302
    page = _secretary_pages(app, escalated)[f"/tasks/{talk.tasks[0].task_id}"]
    assert "青组约〔2026〕3号" in page and f"{held_on.year}年{held_on.month}月{held_on.day}日" in page
    assert OWNER_NOTICE in page and "县委组织部决定对本任务责任人进行约谈" in page
    for secret in (NOTE, DISMISS_REASON, "王组织、李纪检", "jw@example.test", "jw-office@example.test", "督办材料",
                   "建议", "待决定", "驳回"):
        assert secret not in page

    # The next 周报 carries the decision as one line, and nothing of the deliberation.
    before = len(escalated["smtp"].messages)
    monday = at_local(date(2026, 7, 6), 9)
    digest_job(now=monday)
    delivery_job(now=monday)
    weekly = [text for subject, text in _mails_to_secretary(escalated["smtp"])[0:] if "本周整改任务提醒" in subject]
    assert len(escalated["smtp"].messages) > before and weekly
    latest = weekly[-1]
    assert "县委组织部已决定约谈" in latest and "青组约〔2026〕3号" in latest and OWNER_NOTICE in latest
    for secret in (NOTE, DISMISS_REASON, "王组织、李纪检", "jw@example.test", "建议", "待决定", "驳回", "通报"):
        assert secret not in latest


def test_an_explanation_is_asked_for_and_answered_without_the_proposal(app, db, escalated):
    session = db.session
    proposal = next(p for p in session.scalars(select(Proposal).where(Proposal.status == ProposalStatus.PENDING))
                    if p.kind == ProposalKind.CIRCULAR)
    task_ids = [link.task_id for link in proposal.tasks]
    org = app.test_client()
    login(org, "zzb")
    url = f"/notify/proposals/{proposal.id}"
    token = csrf_token(org, url)
    late = org.post(f"{url}/request-explanation", data={"csrf_token": token, "due_on": "2020-01-01", "message": ""})
    assert late.status_code == 400 and "提交期限不能早于今天" in late.get_data(as_text=True)
    bad = org.post(f"{url}/request-explanation", data={"csrf_token": token, "due_on": "明天", "message": ""})
    assert bad.status_code == 400 and "提交期限格式不正确" in bad.get_data(as_text=True)
    assert session.scalar(select(ExplanationRequest.id)) is None
    due = local_date(utcnow(), app.config["TIMEZONE"]) + timedelta(days=5)
    asked = org.post(f"{url}/request-explanation", data={"csrf_token": token, "due_on": due.isoformat(),
                                                         "message": "请说明三项任务逾期的原因"})
    assert asked.status_code == 302
    request = session.scalars(select(ExplanationRequest)).one()
    assert request.due_on == due and request.message == "请说明三项任务逾期的原因"
    audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "request_explanation")).all()
    assert sorted(e.task_id for e in audited) == sorted(task_ids)
    assert "请责任人于" in org.get(url).get_data(as_text=True)

    before = len(escalated["smtp"].messages)
    delivery_job(now=utcnow())
    mails = [m for m in escalated["smtp"].messages[before:] if SEC_MAIL in m["rcpt"]]
    assert len(mails) == 1 and mails[0]["rcpt"] == [SEC_MAIL]
    message = mails[0]["message"]
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"] == "【请提交情况说明】青山镇：3项整改任务"
    assert f"{due.year}年{due.month}月{due.day}日前" in text and "请说明三项任务逾期的原因" in text
    assert all(f"青山镇问题{i}" in text for i in range(3))
    assert _leaks(text + message["Subject"] + message.get_body(("html",)).get_content()) == []
    assert message.get("Cc") is None
    notice = session.scalars(select(Notice).where(Notice.user_id == escalated["secretary"].id,
                                                  Notice.kind == "explanation_request")).one()
    assert _leaks(notice.title + notice.body) == []

    secretary = app.test_client()
    login(secretary, "sec-a")
    task_url = f"/tasks/{task_ids[0]}"
    page = secretary.get(task_url).get_data(as_text=True)
    assert "提交情况说明" in page and "请说明三项任务逾期的原因" in page and "请责任人提交情况说明" in page
    assert _leaks(page) == []
    token = csrf_token(secretary, task_url)
    empty = secretary.post(f"{task_url}/explanation", data={"csrf_token": token, "explanation": "  "})
    assert empty.status_code == 400 and '<div class="error" role="alert">请填写情况说明</div>' in empty.get_data(as_text=True)
    answered = secretary.post(f"{task_url}/explanation", data={"csrf_token": token, "explanation": "征地协调滞后，已解决"})
    assert answered.status_code == 302
    update = session.scalars(select(ProgressUpdate).where(ProgressUpdate.kind == UpdateKind.EXPLANATION)).one()
    assert (update.task_id, update.author_id) == (task_ids[0], escalated["secretary"].id)
    after = secretary.get(task_url).get_data(as_text=True)
    assert "征地协调滞后，已解决" in after and "已于" in after and _leaks(after) == []
    assert "征地协调滞后，已解决" in org.get(url).get_data(as_text=True)  # in the dossier 组织部 reads
    assert session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "explanation_request")) is not None
