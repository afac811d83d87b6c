"""EXPECTED: every (endpoint, method) of the application × every role → the status it must answer.

Roles: sec_a (secretary of unit A, whose records the URLs name), sec_b (secretary of unit B), org (组织部,
uploader of the pending import), org2 (another 组织部 user; answers as org unless stated), disc (纪委), admin,
anon. Status LOGIN is a redirect to the login page; 302 is a redirect anywhere else (unless to_login is set).
A case may be listed more than once for an endpoint (the same route on an escalated task, for 纪委).
"""
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

from tests.webhelpers import tiny_png

LOGIN = "login"
ROLES = ("sec_a", "sec_b", "org", "org2", "disc", "admin", "anon")
NEW_PASSWORD = "another-horse-7"


@dataclass(frozen=True)
class Case:
    name: str
    endpoint: str
    method: str
    url: object  # world → URL
    expect: dict  # role → status
    data: object = None  # world → form fields (POST)
    takes_a_id: bool = False  # the URL names one of unit A's records: unit B's secretary must get 404
    to_login: bool = False  # the allowed answer is itself a redirect to the login page
    fresh_client: bool = False  # sent by a new client of the role (it would change the walking client's login)
    last: bool = False  # sent after every other case (it ends or renews the walking client's session)
    # An allowed POST must change something (rows or files): a redirect after a refusal flashed as a message
    # would otherwise pass for success. Off where the allowed answer changes nothing (login when logged in).
    must_write: bool = True
    content_type: str | None = None  # what a 200 must be (files), so that an HTML error page cannot pass

    def status_for(self, role: str):
        if role == "org2" and "org2" not in self.expect:
            return self.expect["org"]
        return self.expect[role]


def only(status, *allowed, anon=LOGIN, **others):
    """`status` for the allowed roles, 404 for every other logged-in role, LOGIN for anonymous."""
    expect = {role: 404 for role in ROLES if role != "org2"}
    expect.update({role: status for role in allowed}, anon=anon)
    expect.update(others)
    return expect


def everyone(status, anon=None):
    expect = {role: status for role in ROLES if role != "org2"}
    expect["anon"] = status if anon is None else anon
    return expect


def _deadline(w, days):
    return (w.today + timedelta(days=days)).isoformat()


def _png(name="照片.png"):
    return [(BytesIO(tiny_png()), name)]


def _document():
    from tests.security.world import TRANSCRIPT

    return (BytesIO(TRANSCRIPT.encode("utf-8")), "评议.txt")


def _user_form(w, user):
    return {"username": user.username, "name": f"{user.name}（已核对）", "role": user.role,
            "unit_id": str(user.unit_id or 0), "email": user.email or ""}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TASK_VIEWERS = dict(sec_a=200, org=200)  # a task that is not escalated: its unit's secretary and 组织部
ESCALATED_VIEWERS = dict(sec_a=200, org=200, disc=200)  # 督办 and above: 纪委 reads too

CASES = [
    # --- main, auth ---------------------------------------------------------------------------------------
    Case("home", "main.index", "GET", lambda w: "/", everyone(302, anon=LOGIN)),
    Case("login_page", "auth.login", "GET", lambda w: "/login", everyone(302, anon=200)),
    Case("login", "auth.login", "POST", lambda w: "/login", everyone(302), fresh_client=True, must_write=False,
         data=lambda w: {"identifier": w.b.deputy.username, "password": _password()}),
    Case("healthz", "health.healthz", "GET", lambda w: "/healthz", everyone(200)),  # monitoring: anonymous too
    Case("readyz", "health.readyz", "GET", lambda w: "/readyz", everyone(503)),  # the world has no scheduler
    Case("forgot_page", "auth.forgot_password", "GET", lambda w: "/forgot-password", everyone(200)),
    Case("forgot", "auth.forgot_password", "POST", lambda w: "/forgot-password", everyone(302), to_login=True,
         must_write=False,
         data=lambda w: {"identifier": "nobody-here"}),
    # The link is the credential (mailed to its holder): public, whoever is logged in.
    Case("invitation_page", "auth.accept_invitation", "GET", lambda w: f"/invitation/{w.a.invitation_token}",
         everyone(200)),
    Case("invitation", "auth.accept_invitation", "POST", lambda w: f"/invitation/{w.a.invitation_token}",
         everyone(302), fresh_client=True,
         data=lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    Case("reset_page", "auth.reset_password", "GET", lambda w: f"/reset-password/{w.a.reset_token}", everyone(200)),
    Case("reset", "auth.reset_password", "POST", lambda w: f"/reset-password/{w.a.reset_token}", everyone(302),
         fresh_client=True, data=lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    Case("password_page", "auth.change_password", "GET", lambda w: "/account/password",
         everyone(200, anon=LOGIN)),
    # --- the secretary's task pages --------------------------------------------------------------------------
    Case("my_tasks", "secretary.tasks", "GET", lambda w: "/my/tasks", only(200, "sec_a", "sec_b")),
    Case("task", "secretary.task", "GET", lambda w: f"/tasks/{w.a.task.id}", only(200, **TASK_VIEWERS),
         takes_a_id=True),
    Case("task_escalated", "secretary.task", "GET", lambda w: f"/tasks/{w.a.escalated.id}",
         only(200, **ESCALATED_VIEWERS), takes_a_id=True),
    Case("task_overall", "secretary.task", "GET", lambda w: f"/tasks/{w.overall.id}", only(200, "org")),
    Case("evidence", "secretary.evidence", "GET", lambda w: f"/evidence/{w.a.evidence.id}",
         only(200, **TASK_VIEWERS), takes_a_id=True, content_type="image/png"),
    Case("evidence_escalated", "secretary.evidence", "GET", lambda w: f"/evidence/{w.a.escalated_evidence.id}",
         only(200, **ESCALATED_VIEWERS), takes_a_id=True, content_type="image/png"),
    Case("plan", "secretary.submit_plan", "POST", lambda w: f"/tasks/{w.a.task.id}/plan",
         only(302, "sec_a", "org"), takes_a_id=True, data=lambda w: {"measures": "建立台账管理制度"}),
    Case("progress", "secretary.post_update", "POST", lambda w: f"/tasks/{w.a.task.id}/updates",
         only(302, "sec_a", "org"), takes_a_id=True, data=lambda w: {"body": "已完成一半", "files": _png()}),
    Case("extension", "secretary.request_extension", "POST", lambda w: f"/tasks/{w.a.task.id}/extension",
         only(302, "sec_a", "org"), takes_a_id=True,
         data=lambda w: {"new_deadline": _deadline(w, 90), "reason": "需协调县直部门"}),
    Case("closure", "secretary.request_closure", "POST", lambda w: f"/tasks/{w.a.task.id}/closure",
         only(302, "sec_a", "org"), takes_a_id=True,
         data=lambda w: {"summary": "已整改到位", "closure_files": _png("验收.png")}),
    Case("go_task", "notices.go_task", "GET", lambda w: f"/notify/go/task/{w.a.task.id}",
         only(302, "sec_a", "org"), takes_a_id=True),
    Case("go_task_escalated", "notices.go_task", "GET", lambda w: f"/notify/go/task/{w.a.escalated.id}",
         only(302, "sec_a", "org", "disc"), takes_a_id=True),
    Case("go_task_overall", "notices.go_task", "GET", lambda w: f"/notify/go/task/{w.overall.id}",
         only(302, "org")),
    # --- 组织部 / 纪委 pages -------------------------------------------------------------------------------------
    Case("dashboard", "org.dashboard", "GET", lambda w: f"/org/?review={w.a.review.id}", only(200, "org")),
    Case("org_tasks", "org.tasks", "GET", lambda w: "/org/tasks?overdue=1", only(200, "org")),
    Case("escalated", "org.escalated", "GET", lambda w: "/org/escalated", only(200, "org", "disc")),
    Case("export tasks", "org.export_tasks", "GET", lambda w: "/org/tasks/export?overdue=1", only(200, "org"),
         content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    Case("batch deadline", "org.batch_deadline", "POST", lambda w: "/org/tasks/batch/deadline", only(302, "org"),
         data=lambda w: {"task_id": str(w.a.task_org.id), "deadline": _deadline(w, 41)}),
    Case("batch urge", "org.batch_urge", "POST", lambda w: "/org/tasks/batch/urge", only(302, "org"),
         data=lambda w: {"task_id": str(w.a.task_org.id)}),
    Case("org_task", "org.task", "GET", lambda w: f"/org/tasks/{w.a.task.id}", only(200, "org"), takes_a_id=True),
    Case("org_task_escalated", "org.task", "GET", lambda w: f"/org/tasks/{w.a.escalated.id}",
         only(200, "org", "disc"), takes_a_id=True),
    Case("decide_extension", "org.decide_extension", "POST",
         lambda w: f"/org/tasks/{w.a.task_org.id}/extensions/{w.a.extension.id}", only(302, "org"), takes_a_id=True,
         data=lambda w: {"decision": "refuse", "reason": "理由不充分"}),
    Case("deadline", "org.set_deadline", "POST", lambda w: f"/org/tasks/{w.a.task_org.id}/deadline",
         only(302, "org"), takes_a_id=True, data=lambda w: {"deadline": _deadline(w, 40), "reason": "统筹调整"}),
    Case("owner", "org.set_owner", "POST", lambda w: f"/org/tasks/{w.a.task_org.id}/owner", only(302, "org"),
         takes_a_id=True, data=lambda w: {"owner_id": str(w.a.deputy.id), "reason": "分工调整"}),
    Case("verify", "org.verify", "POST", lambda w: f"/org/tasks/{w.a.awaiting_verify.id}/verify", only(302, "org"),
         takes_a_id=True, data=lambda w: {"assessment": "好"}),
    # 回头看 reopens the task `verify` has just closed (walked in this order).
    Case("reopen", "org.reopen", "POST", lambda w: f"/org/tasks/{w.a.awaiting_verify.id}/reopen", only(302, "org"),
         takes_a_id=True, data=lambda w: {"reason": "回头看发现问题反弹", "new_deadline": _deadline(w, 30)}),
    Case("return", "org.return_task", "POST", lambda w: f"/org/tasks/{w.a.awaiting_return.id}/return",
         only(302, "org"), takes_a_id=True, data=lambda w: {"reason": "佐证材料不足"}),
    Case("units", "org.units", "GET", lambda w: "/org/units", only(200, "org", "admin")),
    # 各县（市、区）: the rollup of the counties an account covers, and one county drilled down.
    Case("counties", "counties.index", "GET", lambda w: "/counties/", only(200, "org")),
    Case("county", "counties.county", "GET", lambda w: f"/counties/{w.county.id}", only(200, "org")),
    Case("rename", "org.rename_unit", "POST", lambda w: f"/org/units/{w.renamable.id}/rename",
         only(302, "org", "admin"), data=lambda w: {"name": "白云镇"}),
    Case("merge", "org.merge_unit", "POST", lambda w: f"/org/units/{w.mergeable.id}/merge",
         only(302, "org", "admin"), data=lambda w: {"target_id": str(w.a.unit.id)}),
    # --- 导入点评 (a pending import belongs to the 组织部 user who uploaded it) ------------------------------------
    Case("import_page", "imports.upload", "GET", lambda w: "/imports/", only(200, "org")),
    Case("import_upload", "imports.upload_submit", "POST", lambda w: "/imports/", only(302, "org"),
         data=lambda w: {"document": _document()}),
    Case("import_preview", "imports.preview_page", "GET", lambda w: f"/imports/{w.import_token}",
         only(200, "org", org2=404)),
    Case("import_preview_save", "imports.preview_post", "POST", lambda w: f"/imports/{w.import_token}",
         only(200, "org", org2=404), data=lambda w: {"op": "save", "title": "2026年度述职评议会议"}),
    # --- 整改台账 (review A holds only unit A's tasks) ---------------------------------------------------------
    Case("ledger", "ledger.index", "GET", lambda w: "/ledger/", only(200, "org", "sec_a", "sec_b")),
    Case("audit log", "audit_log.index", "GET", lambda w: "/audit/?kind=task", only(200, "org", "admin")),
    Case("ledger_download", "ledger.download", "GET", lambda w: f"/ledger/download?review={w.a.review.id}",
         only(200, "org", "sec_a"), takes_a_id=True, content_type=XLSX),
    Case("ledger_print", "ledger.print", "GET", lambda w: f"/ledger/print?review={w.a.review.id}",
         only(200, "org", "sec_a"), takes_a_id=True),
    # --- notices, outbox, holidays ----------------------------------------------------------------------------
    Case("my_notices", "notices.my_notices", "GET", lambda w: "/notify/notices", everyone(200, anon=LOGIN)),
    # The signed link shows the notice to whoever holds it (anonymous: with a login link); only its owner,
    # logged in, signs it (review of issue 4, finding 6). Another unit's task answers 404 as everywhere.
    Case("ack_page", "notices.acknowledge", "GET", lambda w: f"/notify/ack/{w.a.ack_token}",
         only(200, "sec_a", "org", "disc", anon=200), takes_a_id=True),
    Case("ack", "notices.acknowledge", "POST", lambda w: f"/notify/ack/{w.a.ack_token}", only(302, "sec_a"),
         takes_a_id=True, data=lambda w: {}),
    Case("outbox_detail", "notices.outbox_detail", "GET", lambda w: f"/notify/outbox/{w.a.failed_mail.id}",
         only(200, "org"), takes_a_id=True),
    Case("outbox", "notices.outbox", "GET", lambda w: "/notify/outbox?status=failed", only(200, "org")),
    Case("outbox_retry", "notices.outbox_retry", "POST", lambda w: f"/notify/outbox/{w.a.failed_mail.id}/retry",
         only(302, "org"), takes_a_id=True, data=lambda w: {}),
    Case("holidays", "notices.holidays", "GET", lambda w: "/notify/holidays?year=2027", only(200, "org")),
    Case("holidays_save", "notices.holidays_save", "POST", lambda w: "/notify/holidays", only(302, "org"),
         data=lambda w: {"text": "2027-05-01 休 劳动节"}),
    Case("holidays_delete", "notices.holidays_delete", "POST", lambda w: f"/notify/holidays/{w.holiday.id}/delete",
         only(302, "org"), data=lambda w: {}),
    # --- 约谈 / 通报 ---------------------------------------------------------------------------------------------
    Case("proposals", "proposals.proposals", "GET", lambda w: "/notify/proposals?kind=circular",
         only(200, "org", "disc")),
    # A proposal is the deliberation of 组织部 and 纪委: 404 to every secretary, the one concerned included.
    Case("proposal", "proposals.proposal", "GET", lambda w: f"/notify/proposals/{w.a.talk.id}",
         only(200, "org", "disc"), takes_a_id=True),
    Case("proposal_unit", "proposals.proposal", "GET", lambda w: f"/notify/proposals/{w.a.unit_talk.id}",
         only(200, "org", "disc"), takes_a_id=True),
    Case("proposal_circular", "proposals.proposal", "GET", lambda w: f"/notify/proposals/{w.a.circular.id}",
         only(200, "org", "disc"), takes_a_id=True),
    Case("proposal_draft", "proposals.proposal_draft", "GET", lambda w: f"/notify/proposals/{w.a.talk.id}/draft.docx",
         only(200, "org", "disc"), takes_a_id=True, content_type=DOCX),
    Case("circular_draft", "proposals.circular_draft", "GET", lambda w: "/notify/proposals/circular-draft.docx",
         only(200, "org", "disc"), content_type=DOCX),
    Case("proposal_decide", "proposals.proposal_decide", "POST", lambda w: f"/notify/proposals/{w.a.talk.id}/decide",
         only(302, "org"), takes_a_id=True,
         data=lambda w: {"held_on": w.today.isoformat(), "held_by": "王组织", "doc_number": "", "note": "已约谈"}),
    Case("proposal_dismiss", "proposals.proposal_dismiss", "POST",
         lambda w: f"/notify/proposals/{w.a.unit_talk.id}/dismiss", only(302, "org"), takes_a_id=True,
         data=lambda w: {"reason": "已在推进"}),
    Case("proposal_request_explanation", "proposals.proposal_request_explanation", "POST",
         lambda w: f"/notify/proposals/{w.a.circular.id}/request-explanation", only(302, "org"), takes_a_id=True,
         data=lambda w: {"due_on": _deadline(w, 5), "message": "请说明逾期原因"}),
    # The 情况说明 the organization department asked for (world: a request on the 通报 task), on the task page.
    Case("submit_explanation", "secretary.submit_explanation", "POST",
         lambda w: f"/tasks/{w.a.circular_task.id}/explanation", only(302, "sec_a"), takes_a_id=True,
         data=lambda w: {"explanation": "因征地协调滞后"}),
    Case("org_handling_page", "proposals.org_handling", "GET", lambda w: f"/notify/org-handling?proposal={w.a.talk.id}",
         only(200, "org"), takes_a_id=True),
    Case("org_handling", "proposals.org_handling", "POST", lambda w: "/notify/org-handling", only(302, "org"),
         data=lambda w: {"unit_id": str(w.a.unit.id), "cadre_id": str(w.a.secretary.id), "measure": "调整职务",
                         "doc_number": "青组〔2026〕3号", "decided_on": w.today.isoformat(), "note": ""}),
    # --- 用户管理 (组织部 manages secretaries, admin everyone; reset links are admin only) --------------------------
    Case("users", "admin.users", "GET", lambda w: "/admin/users", only(200, "org", "admin")),
    Case("new_user_page", "admin.new_user", "GET", lambda w: "/admin/users/new", only(200, "org", "admin")),
    Case("new_user", "admin.new_user", "POST", lambda w: "/admin/users/new", only(302, "org", "admin"),
         data=lambda w: {"username": "new-sec", "name": "新书记", "role": "secretary",
                         "unit_id": str(w.a.unit.id), "email": ""}),
    Case("edit_user_page", "admin.edit_user", "GET", lambda w: f"/admin/users/{w.a.secretary.id}/edit",
         only(200, "org", "admin"), takes_a_id=True),
    Case("edit_user", "admin.edit_user", "POST", lambda w: f"/admin/users/{w.a.secretary.id}/edit",
         only(302, "org", "admin"), takes_a_id=True, data=lambda w: _user_form(w, w.a.secretary)),
    # 组织部 manages secretaries only: another role's account is not found for it.
    Case("edit_staff_page", "admin.edit_user", "GET", lambda w: f"/admin/users/{w.users['disc'].id}/edit",
         only(200, "admin")),
    Case("edit_staff", "admin.edit_user", "POST", lambda w: f"/admin/users/{w.users['disc'].id}/edit",
         only(302, "admin"), data=lambda w: _user_form(w, w.users["disc"])),
    Case("deactivate", "admin.deactivate_user", "POST", lambda w: f"/admin/users/{w.a.deputy.id}/deactivate",
         only(302, "org", "admin"), takes_a_id=True, data=lambda w: {}),
    Case("activate", "admin.activate_user", "POST", lambda w: f"/admin/users/{w.a.deputy.id}/activate",
         only(302, "org", "admin"), takes_a_id=True, data=lambda w: {}),
    Case("invite", "admin.invite_user", "POST", lambda w: f"/admin/users/{w.a.invitee_later.id}/invite",
         only(302, "org", "admin"), takes_a_id=True, data=lambda w: {}),
    Case("reset_link", "admin.send_reset_link", "POST", lambda w: f"/admin/users/{w.a.secretary.id}/reset-link",
         only(302, "admin"), takes_a_id=True, data=lambda w: {}),
    # --- 书记名册, 待电话转达, 群机器人, 我的联系方式, 批量开通 (issue 9) -----------------------------------------
    Case("roster_page", "roster.upload", "GET", lambda w: "/roster/", only(200, "org")),
    Case("roster_upload", "roster.upload_submit", "POST", lambda w: "/roster/", only(302, "org"),
         data=lambda w: {"roster": (BytesIO(_roster_file()), "名册.xlsx")}),
    Case("roster_preview", "roster.preview_page", "GET", lambda w: f"/roster/{w.roster_token}",
         only(200, "org", org2=404)),
    Case("roster_preview_save", "roster.preview_post", "POST", lambda w: f"/roster/{w.roster_token}",
         only(302, "org", org2=404), data=lambda w: {"action": "update", "col_unit": "0", "col_name": "1"}),
    Case("roster_export", "roster.export", "GET", lambda w: "/roster/export", only(200, "org"), content_type=XLSX),
    Case("phone_list", "reach.phone_list", "GET", lambda w: "/reach/phone", only(200, "org")),
    Case("phone_called", "reach.mark_called", "POST", lambda w: f"/reach/phone/{w.relay_id}/called",
         only(302, "org"), data=lambda w: {"note": "已电话告知"}),
    Case("robots", "reach.robots", "GET", lambda w: "/reach/robots", only(200, "org")),
    Case("robot_page", "reach.robot_settings", "GET", lambda w: f"/reach/robots/{w.a.unit.id}", only(200, "org")),
    Case("robot_save", "reach.robot_settings", "POST", lambda w: f"/reach/robots/{w.a.unit.id}", only(302, "org"),
         data=lambda w: {"action": "save", "kind": "wecom", "secret": "",
                         "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"}),
    Case("my_reach", "reach.me", "GET", lambda w: "/reach/me", everyone(200, anon=LOGIN)),
    # Everyone in the world has an email already: adding one is refused in words (changing it is not theirs).
    Case("my_reach_email", "reach.me", "POST", lambda w: "/reach/me", everyone(400, anon=LOGIN), must_write=False,
         data=lambda w: {"email": "new-address@town.test"}),
    Case("bulk_users", "admin.bulk_users", "POST", lambda w: "/admin/users/bulk", only(302, "org", "admin"),
         takes_a_id=True, data=lambda w: {"action": "deactivate", "user_ids": str(w.a.deputy.id)}),
    # --- last: they renew or end the walking client's session ----------------------------------------------
    Case("change_password", "auth.change_password", "POST", lambda w: "/account/password",
         everyone(302, anon=LOGIN), last=True,
         data=lambda w: {"current": _password(), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    Case("logout", "auth.logout", "POST", lambda w: "/logout", everyone(302, anon=LOGIN), to_login=True, last=True,
         data=lambda w: {}),
]


def _roster_file():
    from tests.security.reach_world import roster_file

    return roster_file()


def _password():
    from tests.factories import PASSWORD

    return PASSWORD


def cases_in_walk_order() -> list[Case]:
    return [c for c in CASES if not c.last] + [c for c in CASES if c.last]
