"""我的整改任务 and the task page: own unit only, urgency order, lights, 点评 context, timeline, escaping."""
import pytest
import re
from datetime import timedelta

from tests.factories import make_task
from tests.webhelpers import client_as, post_form
from tracker.models import EscalationLevel, TaskStatus, TaskType
from tracker.timeutil import cn_date


def test_list_shows_only_the_units_tasks_with_light_deadline_and_days_left(app, world):
    html = client_as(app, world, "sec_a").get("/my/tasks").get_data(as_text=True)
    assert "青山镇的问题" in html and "绿水乡的问题" not in html
    assert cn_date(world.task_a.deadline) in html and "剩余20天" in html
    assert "light-green" in html and 'name="viewport"' in html


def test_list_is_ordered_by_urgency(app, db, world):
    today = world.today
    closed = make_task(db.session, world.unit_a, world.sec_a, world.review, deadline=today + timedelta(days=1),
                       text="已销号的问题", status=TaskStatus.CLOSED)
    overdue = make_task(db.session, world.unit_a, world.sec_a, world.review, deadline=today - timedelta(days=3),
                        text="逾期的问题", status=TaskStatus.IN_PROGRESS)
    soon = make_task(db.session, world.unit_a, world.sec_a, world.review, deadline=today + timedelta(days=2),
                     text="快到期的问题")
    ongoing = make_task(db.session, world.unit_a, world.sec_a, world.review, deadline=None,
                        task_type=TaskType.ONGOING, text="长期坚持的问题")
    escalated = make_task(db.session, world.unit_a, world.sec_a, world.review, deadline=today + timedelta(days=30),
                          text="被督办的问题")
    escalated.escalation_level = EscalationLevel.SUPERVISION
    waiting = make_task(db.session, world.unit_a, world.sec_a, world.review, deadline=today + timedelta(days=1),
                        text="待审核的问题", status=TaskStatus.AWAITING_VERIFICATION)
    db.session.commit()
    html = client_as(app, world, "sec_a").get("/my/tasks").get_data(as_text=True)
    order = ["被督办的问题", "逾期的问题", "快到期的问题", "青山镇的问题", "长期坚持的问题", "待审核的问题", "已销号的问题"]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)
    assert "逾期3天" in html and "剩余2天" in html
    row = html[html.index("逾期的问题") - 600:html.index("逾期的问题")]
    assert "light-red" in row
    assert closed and overdue and soon and ongoing and waiting


def test_task_page_shows_the_whole_comment_with_this_problem_highlighted(app, db, world):
    comment = world.task_a.comment
    comment.strengths = "党建引领成效明显"
    comment.expectations = "希望进一步压实责任"
    sibling = make_task(db.session, world.unit_a, world.sec_a, world.review, text="同一点评的另一个问题", position=2)
    sibling.comment_id = comment.id
    db.session.commit()
    html = client_as(app, world, "sec_a").get(f"/tasks/{world.task_a.id}").get_data(as_text=True)
    for text in ("党建引领成效明显", "希望进一步压实责任", "同一点评的另一个问题", "2026年度述职评议会议"):
        assert text in html
    current = re.search(r'<li class="current"[^>]*>(.*?)</li>', html, re.S).group(1)
    assert "青山镇的问题" in current and "同一点评的另一个问题" not in current
    assert html.index("青山镇的问题</span>") < html.index("同一点评的另一个问题")


def test_problem_text_is_escaped_everywhere(app, db, world):
    world.task_a.problem_text = "<script>alert('x')</script>问题"
    world.task_a.comment.strengths = "<b>粗体</b>"
    db.session.commit()
    client = client_as(app, world, "sec_a")
    for url in ("/my/tasks", f"/tasks/{world.task_a.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "&lt;script&gt;" in html
        assert "<b>粗体</b>" not in html


def test_timeline_shows_updates_files_status_changes_and_extensions(app, db, world):
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    post_form(client, f"{url}/plan", {"measures": "召开专题会议", "responsible_person": "王副镇长"}, form_url=url)
    new_deadline = world.task_a.deadline + timedelta(days=30)
    post_form(client, f"{url}/extension", {"new_deadline": new_deadline.isoformat(), "reason": "汛期影响"},
              form_url=url)
    html = client.get(url).get_data(as_text=True)
    timeline = html[html.index("办理记录"):]
    for text in ("整改措施", "召开专题会议", "状态：待整改 → 整改中", "具体责任人：（无） → 王副镇长",
                 "延期申请", f"申请延期至{cn_date(new_deadline)}", "汛期影响", "照片a.png", "a进展", "甲书记"):
        assert text in timeline, text
    assert "待审批" in timeline
    # A pending request hides the extension form and says so.
    assert "等待县委组织部审批" in html and 'id="extension"' not in html


def test_discipline_reads_escalated_tasks_only_without_forms(app, db, world):
    client = client_as(app, world, "disc")
    assert client.get(f"/tasks/{world.task_a.id}").status_code == 404
    world.task_a.escalation_level = EscalationLevel.SUPERVISION
    db.session.commit()
    response = client.get(f"/tasks/{world.task_a.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "青山镇的问题" in html
    assert "提交整改措施" not in html and "申请销号</button>" not in html and "enctype" not in html
    with client.get(f"/evidence/{world.evidence['a'].id}") as download:
        assert download.status_code == 200
    response = post_form(client, f"/tasks/{world.task_a.id}/plan", {"measures": "纪委不能提交"},
                         form_url=f"/tasks/{world.task_a.id}")
    assert response.status_code == 404


def test_org_dept_sees_the_task_page_with_forms(app, world):
    html = client_as(app, world, "org").get(f"/tasks/{world.task_b.id}").get_data(as_text=True)
    assert "绿水乡的问题" in html and "提交整改措施" in html


def test_home_page_sends_each_role_to_its_start_page(app, world):
    assert client_as(app, world, "sec_a").get("/").headers["Location"] == "/my/tasks"
    assert client_as(app, world, "admin").get("/").headers["Location"] == "/admin/users"
    assert "/login" in app.test_client().get("/").headers["Location"]
    for role_key, endpoint in (("org", "org.dashboard"), ("disc", "org.escalated")):
        response = client_as(app, world, role_key).get("/")
        if endpoint in app.view_functions:
            with app.test_request_context():
                from flask import url_for

                assert response.headers["Location"] == url_for(endpoint)
        else:
            assert response.status_code == 200 and "欢迎" in response.get_data(as_text=True)


def test_navigation_lists_the_links_of_the_role(app, world):
    secretary = client_as(app, world, "sec_a").get("/my/tasks").get_data(as_text=True)
    assert "我的整改任务" in secretary and "用户管理" not in secretary and "退出" in secretary
    admin = client_as(app, world, "admin").get("/admin/users").get_data(as_text=True)
    assert "用户管理" in admin and "我的整改任务" not in admin
    org = client_as(app, world, "org").get("/admin/users").get_data(as_text=True)
    assert ">用户<" in org and "用户管理</a>" not in org


def test_nav_link_marks_the_current_page_and_fails_loudly_on_a_missing_one(app):
    """Every page exists in every build: a link to a page that does not is a mistake to see, not hide."""
    from werkzeug.routing import BuildError

    from tracker.web.main import nav_link

    with app.test_request_context("/my/tasks"):
        with pytest.raises(BuildError):
            nav_link("nowhere.page", "不存在")
        link = str(nav_link("secretary.tasks", "我的<整改>任务"))
        assert link == '<a href="/my/tasks" aria-current="page">我的&lt;整改&gt;任务</a>'
