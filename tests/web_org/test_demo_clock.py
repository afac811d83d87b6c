"""The demo clock: `tracker clock set` moves the one utcnow(); every page and the 周报 then agree on 逾期."""
import re
from datetime import timedelta


from tests.factories import make_review, make_task, make_unit
from tests.webhelpers import login, quick_user
from tracker import timeutil
from tracker.escalation.digest import unit_summary
from tracker.models import Role, TaskStatus
from tracker.models.types import utcnow
from tracker.timeutil import local_date


def test_set_moves_utcnow_and_reset_restores_it(demo_clock):
    real = utcnow()
    timeutil.set_demo_clock(demo_clock, real + timedelta(days=31))
    moved = utcnow()
    assert timedelta(days=31) - timedelta(seconds=5) < moved - real < timedelta(days=31, seconds=5)
    assert utcnow() >= moved  # the demo clock keeps running
    assert timeutil.reset_demo_clock(demo_clock) and abs(utcnow() - real) < timedelta(seconds=5)


def test_a_month_on_the_dashboard_the_list_and_the_weekly_report_agree(app, db, client, demo_clock):
    s = db.session
    unit, other = make_unit(s, "青山镇"), make_unit(s, "白河乡")
    owner = quick_user(s, Role.SECRETARY, unit, username="sec", name="刘建国")
    quick_user(s, Role.ORG_DEPT, username="zzb", name="王组织")
    today = local_date(utcnow(), "Asia/Shanghai")
    review = make_review(s)
    for offset, status in ((3, TaskStatus.IN_PROGRESS), (10, TaskStatus.PENDING), (20, TaskStatus.IN_PROGRESS),
                           (12, TaskStatus.AWAITING_VERIFICATION), (60, TaskStatus.IN_PROGRESS)):
        make_task(s, unit, owner, review, deadline=today + timedelta(days=offset), status=status)
    make_task(s, other, None, review, deadline=today + timedelta(days=5))
    s.commit()
    login(client, "zzb")

    def counts():
        now_today = local_date(utcnow(), "Asia/Shanghai")
        html = client.get(f"/org/?q={unit.name}").get_data(as_text=True)
        row = html[html.index('id="unit-table"'):]
        dashboard = int(re.search(r'data-label="逾期">(\d+)<', row).group(1))
        listing = client.get(f"/org/tasks?unit={unit.id}&overdue=1").get_data(as_text=True)
        listed = int(re.search(r"共 (\d+) 个任务", listing).group(1))
        weekly = next(line.overdue for line in unit_summary(s, now_today) if line.unit_name == unit.name)
        return dashboard, listed, weekly

    assert counts() == (0, 0, 0)
    timeutil.set_demo_clock(demo_clock, utcnow() + timedelta(days=31))
    # 3, 10 and 20 days out are now late; the one awaiting 销号 verification has done its part.
    assert counts() == (3, 3, 3)
    html = client.get("/org/").get_data(as_text=True)
    assert re.search(r'id="stat-overdue">4<', html)  # and 白河乡's one


def test_the_clock_command_refuses_under_test_and_in_production(app):
    from tracker.cli import clock_cli

    result = app.test_cli_runner().invoke(clock_cli, ["set", "2026-12-16T09:30"])
    assert result.exit_code == 2 and "测试配置下不使用演示时钟" in result.output
    app.config["CONFIG_NAME"] = "production"
    result = app.test_cli_runner().invoke(clock_cli, ["set", "2026-12-16T09:30"])
    assert result.exit_code == 2 and "生产环境不能设置演示时钟" in result.output


def test_mail_sink_prints_mails_decoded():
    from email.message import EmailMessage

    from tracker.ops.mailsink import render

    message = EmailMessage()
    message["From"], message["To"], message["Cc"] = "整改督办台账 <zgdb@localhost>", "sec@demo.local", "zzb@demo.local"
    message["Subject"] = "【催办】青山镇：整改任务已超过整改时限"
    message.set_content("请尽快整改并报送进展。", cte="base64")
    text = render(message.as_bytes())
    assert "主题 Subject：【催办】青山镇：整改任务已超过整改时限" in text
    assert "抄送 Cc：zzb@demo.local" in text and "请尽快整改并报送进展。" in text
