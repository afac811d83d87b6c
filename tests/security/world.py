"""The whole-application world of the authorization matrix: two units (A, B), each with a real record of
every kind a route can take an id of, made through the real services where one exists; one user of every
role (plus a second 组织部 user, to check that a pending import belongs to its uploader only).

Unit A's records are what the matrix's URLs name; unit B holds the same kinds, so that its secretary has
something of their own and a leak of A's records to B would show.
"""
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

from tests.factories import make_review, make_task, make_unit
from tests.webhelpers import csrf_token, login, quick_user, tiny_png
from tracker.models import EscalationLevel, ExtensionRequest, Role, TaskStatus, Unit, User
from tracker.models.accounts import AccountToken
from tracker.models.tenants import Organization, ensure_default_county
from tracker.models.notify import HolidayDay, OutboxMessage, OutboxStatus
from tracker.models.types import utcnow
from tracker.escalation import acknowledgement, holidays
from tracker.proposals import owner as proposal_owner
from tracker.proposals import service as proposal_service
from tracker.mail.outbox import enqueue_email
from tracker.services import accounts
from tracker.services import evidence as evidence_files
from tracker.services import tasks as task_service
from tracker.timeutil import cn_date, local_date

# What 组织部 uploads in the browser to get a pending import token (two units, two problems each).
TRANSCRIPT = """同志们：
今天召开2026年度全县党组织书记抓基层党建工作述职评议会议。
一、首先请青山镇党委书记张三同志述职。
※※※※※※
点评：青山镇党建工作扎实。但还存在以下问题：一是台账管理不规范。二是党员教育管理不到位，组织生活不经常。
希望张三同志进一步压实责任。
二、请绿水乡党委书记李四同志述职。
※※※※※※
点评：绿水乡工作有成效。但还存在以下问题：一是村集体经济薄弱。二是软弱涣散村整顿不力。
希望李四同志加大力度。
"""

ROLE_KEYS = ["sec_a", "sec_b", "org", "org2", "disc", "admin", "anon"]


@dataclass
class UnitRecords:
    """One unit's records of every kind a route takes an id of."""

    unit: Unit
    secretary: User
    deputy: User  # a second secretary of the unit: the new owner in 更换责任人, the holder of a reset link
    invitee: User  # invited, no password yet: opens the invitation link
    invitee_later: User  # invited later, by the 发送邀请 button of the matrix
    review: object  # holds only this unit's tasks (the ledger is chosen by review)
    comment: object
    task: object  # 待整改, not escalated: the secretary's forms work on it
    task_org: object  # 待整改 with a pending 延期申请: 组织部's deadline, owner and 延期 decision
    awaiting_verify: object  # 待销号审核
    awaiting_return: object  # 待销号审核
    escalated: object  # 督办 (level 1): visible to 纪委
    talk_task: object  # level 2 with a 约谈 proposal
    circular_task: object  # level 3 with a 通报 proposal
    update: object
    evidence: object  # on `task`, stored by services/evidence.py
    escalated_evidence: object  # on `escalated`
    extension: ExtensionRequest
    talk: object  # Proposal 约谈 (task)
    circular: object  # Proposal 通报 (task)
    unit_talk: object  # Proposal 约谈 (unit)
    failed_mail: OutboxMessage  # a 督办 mail that failed: 组织部 may retry it
    notice_key: str
    ack_token: str
    invitation_token: str
    reset_token: str


@dataclass
class World:
    county: Organization  # the install's one county, as the migration makes it: every record lies in it
    today: date
    users: dict[str, User]
    a: UnitRecords
    b: UnitRecords
    renamable: Unit  # "XX镇", flagged needs_rename by an import
    mergeable: Unit  # "XX乡", flagged needs_rename
    holiday: HolidayDay
    overall: object  # a 全县共性问题 task: no unit, owned by 组织部
    import_token: str  # a pending browser import, uploaded by users["org"]

    def user(self, role_key: str) -> User | None:
        return self.users.get(role_key)


def _evidence(app, session, task, author, now, body: str):
    update = task_service.post_progress(session, task, actor=author, now=now, body=body)
    checked = evidence_files.check_upload("现场照片.png", io.BytesIO(tiny_png()),
                                          max_bytes=int(app.config["MAX_EVIDENCE_BYTES"]))
    rows, _paths = evidence_files.attach(session, [checked], task=task, update=update, actor=author, now=now,
                                         directory=evidence_files.upload_dir(app.config.settings))
    return update, rows[0]


def _notice(session, task, secretary, now, today) -> tuple[str, OutboxMessage]:
    """A 督办 notice of the task as the scan words it: an outbox row and the secretary's in-app notice."""
    key = f"task:{task.id}:c{task.reminder_cycle}:level1"
    context = {
        "kind": "level1", "label": "督办", "task_id": task.id, "unit_name": task.unit.name,
        "owner_name": secretary.name, "problem_text": task.problem_text, "problem_short": task.problem_text,
        "task_type": task.task_type, "deadline": cn_date(task.deadline), "deadline_note": "",
        "today": cn_date(today), "workdays_left": None, "overdue_workdays": 7, "level": 1, "month": "",
        "level_label": "督办", "task_url": f"/notify/go/task/{task.id}", "ack_url": acknowledgement.ack_url(key),
        "subject": f"【督办】{task.unit.name}：整改任务逾期7个工作日",
    }
    row = enqueue_email(session, key=key, kind="task_level1", template="task_notice", context=context, now=now,
                        to_users=[secretary], task_id=task.id, unit_id=task.unit_id)
    row.status = OutboxStatus.FAILED
    row.last_error = "550 mailbox unavailable"
    task.last_notice_key, task.last_notice_at = key, now
    return key, row


def _unit_records(app, session, unit: Unit, prefix: str, org: User, now, today) -> UnitRecords:
    secretary = quick_user(session, Role.SECRETARY, unit, username=f"sec-{prefix}", name=f"{unit.name}书记")
    deputy = quick_user(session, Role.SECRETARY, unit, username=f"deputy-{prefix}", name=f"{unit.name}副书记")
    invitee = quick_user(session, Role.SECRETARY, unit, username=f"invitee-{prefix}", name=f"{unit.name}新书记")
    invitee_later = quick_user(session, Role.SECRETARY, unit, username=f"later-{prefix}", name=f"{unit.name}委员")
    invitee.password_hash = invitee_later.password_hash = None
    review = make_review(session, title=f"2026年度述职评议会议（{unit.name}）")

    def task(text, deadline_days, **kwargs):
        return make_task(session, unit, secretary, review, deadline=today + timedelta(days=deadline_days),
                         text=f"{unit.name}：{text}", **kwargs)

    main = task("台账管理不规范", 20)
    task_org = task("党员教育管理不到位", 25)
    awaiting_verify = task("组织生活不经常", 10, status=TaskStatus.AWAITING_VERIFICATION)
    awaiting_return = task("阵地建设滞后", 12, status=TaskStatus.AWAITING_VERIFICATION)
    escalated = task("村集体经济薄弱", -10, status=TaskStatus.IN_PROGRESS)
    talk_task = task("软弱涣散村整顿不力", -30, status=TaskStatus.IN_PROGRESS)
    circular_task = task("发展党员不规范", -45, status=TaskStatus.IN_PROGRESS)
    escalated.escalation_level = EscalationLevel.SUPERVISION
    talk_task.escalation_level = EscalationLevel.TALK
    circular_task.escalation_level = EscalationLevel.CIRCULAR
    session.flush()

    update, evidence = _evidence(app, session, main, secretary, now, "已召开专题会议")
    _update, escalated_evidence = _evidence(app, session, escalated, secretary, now, "正在推进")
    extension = task_service.request_extension(session, task_org, actor=secretary, now=now,
                                               new_deadline=today + timedelta(days=60), reason="需协调县直部门",
                                               tz=app.config["TIMEZONE"])
    talk = proposal_service.propose_for_task(session, talk_task, EscalationLevel.TALK, now)
    circular = proposal_service.propose_for_task(session, circular_task, EscalationLevel.CIRCULAR, now)
    unit_talk = proposal_service.propose_for_unit(session, unit, [escalated, talk_task, circular_task], now)
    assert talk and circular and unit_talk, "the proposal service refused to propose"
    proposal_owner.request_explanation(session, circular, actor=org, now=now, due_on=today + timedelta(days=5),
                                       message="")
    notice_key, failed_mail = _notice(session, escalated, secretary, now, today)
    _token, invitation = accounts.issue_token(session, invitee, purpose=AccountToken.INVITATION, actor=org, now=now,
                                              hours=72)
    _token, reset = accounts.issue_token(session, deputy, purpose=AccountToken.PASSWORD_RESET, actor=None, now=now,
                                         hours=2)
    return UnitRecords(
        unit=unit, secretary=secretary, deputy=deputy, invitee=invitee, invitee_later=invitee_later,
        review=review, comment=main.comment,
        task=main, task_org=task_org, awaiting_verify=awaiting_verify, awaiting_return=awaiting_return,
        escalated=escalated, talk_task=talk_task, circular_task=circular_task, update=update, evidence=evidence,
        escalated_evidence=escalated_evidence, extension=extension, talk=talk, circular=circular,
        unit_talk=unit_talk, failed_mail=failed_mail, notice_key=notice_key,
        ack_token=acknowledgement.make_token(notice_key), invitation_token=invitation, reset_token=reset,
    )


def _flagged_unit(session, name: str) -> Unit:
    unit = make_unit(session, name)
    unit.needs_rename = True
    return unit


def _upload_import(app, username: str) -> str:
    """A pending import made the way 组织部 makes one: the real upload route."""
    client = app.test_client()
    login(client, username)
    response = client.post("/imports/", data={"csrf_token": csrf_token(client, "/imports/"),
                                              "document": (io.BytesIO(TRANSCRIPT.encode("utf-8")), "评议.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    token = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token), token
    return token


def build_world(app, session) -> World:
    """Commits: the test clients read what it made."""
    now = utcnow()
    today = local_date(now, app.config["TIMEZONE"])
    county = ensure_default_county(session, now=now)
    unit_a = make_unit(session, "青山镇")
    unit_b = make_unit(session, "绿水乡")
    users = {
        "org": quick_user(session, Role.ORG_DEPT, username="zzb", name="王组织"),
        "org2": quick_user(session, Role.ORG_DEPT, username="zzb2", name="钱组织"),
        "disc": quick_user(session, Role.DISCIPLINE, username="jw", name="李纪检"),
        "admin": quick_user(session, Role.ADMIN, username="admin", name="管理员"),
    }
    for key in ("org", "org2", "disc"):
        users[key].organization_id = county.id  # attached to the county, as the migration attaches them
    a = _unit_records(app, session, unit_a, "a", users["org"], now, today)
    b = _unit_records(app, session, unit_b, "b", users["org"], now, today)
    users["sec_a"], users["sec_b"] = a.secretary, b.secretary
    overall = make_task(session, unit_a, None, a.review, deadline=today + timedelta(days=60), text="全县共性问题：软弱涣散")
    overall.unit_id, overall.is_overall, overall.comment_id, overall.owner_id = None, True, None, users["org"].id
    renamable = _flagged_unit(session, "XX镇")
    mergeable = _flagged_unit(session, "XX乡")
    entries = holidays.parse_holiday_text("2027-01-01 休 元旦\n2027-02-07 班 春节调休")
    holidays.save_holidays(session, entries, actor=users["org"], now=now)
    session.flush()
    holiday = session.query(HolidayDay).order_by(HolidayDay.day).first()
    session.commit()
    token = _upload_import(app, users["org"].username)
    world = World(county=county, today=today, users=users, a=a, b=b, renamable=renamable, mergeable=mergeable, holiday=holiday,
                  overall=overall, import_token=token)
    from tests.security import reach_world

    reach_world.extend(app, session, world)
    return world
