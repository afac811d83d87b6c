"""Demo data for `make run`: a fictional transcript of our own, imported like a real one."""
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tracker.models import Review, Role, Task, TaskType, User
from tracker.parser import parse_text
from tracker.services import audit
from tracker.services.accounts import create_user
from tracker.services.importer import apply_plan, build_plan
from tracker.settings import settings
from tracker.timeutil import local_date

DEMO_FILE = "review-demo.txt"
DEMO_PATH = Path(__file__).resolve().parent.parent / "demo_data" / DEMO_FILE
DEMO_ACCOUNTS = [
    # username, password, role, name, label
    ("admin", "demo-admin-2026", Role.ADMIN, "系统管理员", "系统管理员"),
    ("zzb", "demo-zzb-2026", Role.ORG_DEPT, "王组织", "县委组织部"),
    ("jw", "demo-jw-2026", Role.DISCIPLINE, "李纪检", "纪委监委"),
]
SECRETARY_USERNAME, SECRETARY_PASSWORD = "shuji", "demo-shuji-2026"
# The robot sink `make run` starts (python -m tracker.mail.robot_sink): it prints what it receives.
DEMO_ROBOT_PORT = 8026
DEMO_ROBOT_URL = f"http://127.0.0.1:{DEMO_ROBOT_PORT}/cgi-bin/webhook/send?key=demo"


def demo_text() -> str:
    return DEMO_PATH.read_text(encoding="utf-8")


def seed_demo(session, *, now: datetime, rules: dict, tz: str | None = None) -> list[tuple[str, str, str]]:
    """Idempotent: a second run finds the demo review and the accounts and adds nothing."""
    today = local_date(now, tz)
    # The transcript's 年度 follows the date the demo gives its meeting (a month ago), never a fixed year.
    text = demo_text().replace("2023年度", f"{(today - timedelta(days=30)).year}年度")
    plan = build_plan(parse_text(text), text=text, source_filename=DEMO_FILE,
                      held_on=today - timedelta(days=30), deadline=today + timedelta(days=30))
    _vary_deadlines(plan, today)
    result = apply_plan(session, plan, actor=None, now=now, rules=rules, tz=tz)
    accounts = []
    for username, password, role, name, label in DEMO_ACCOUNTS:
        if session.scalar(select(User).where(User.username == username)) is None:
            create_user(session, username=username, name=name, role=role, email=f"{username}@demo.local",
                        unit=None, password=password, actor=None, now=now)
        accounts.append((username, password, label))
    accounts += _demo_secretaries(session, result.review, now=now)
    roster = Path(settings().upload_dir) / "demo-roster.xlsx"  # tests give each run its own upload_dir
    roster.parent.mkdir(parents=True, exist_ok=True)
    roster.write_bytes(demo_roster(session, result.review))
    accounts.append((str(roster), "—", "演示党组织书记名册（在“书记名册”页上传：换届1行、近似单位1行、错误1行）"))
    return accounts


def _vary_deadlines(plan, today) -> None:
    """Some tasks due in a few days (黄灯), one 长期坚持, the rest in a month (绿灯)."""
    for unit_index, unit in enumerate(plan.units):
        for problem_index, problem in enumerate(unit.problems):
            if unit_index == 0 and problem_index == 0:
                problem.deadline = today + timedelta(days=3)
            elif unit_index == 1 and problem_index == 0:
                problem.task_type, problem.deadline = TaskType.ONGOING, None
            elif unit_index == 2:
                problem.task_type, problem.deadline = TaskType.IMMEDIATE, today + timedelta(days=10)


def demo_secretaries(session, review: Review) -> list[User]:
    """The demo transcript's secretaries, in ledger order (one per unit)."""
    owners = session.scalars(
        select(User).join(Task, Task.owner_id == User.id)
        .where(Task.review_id == review.id, Task.is_overall.is_(False)).order_by(Task.ledger_position)
    ).all()
    return list(dict.fromkeys(owners))


def _demo_secretaries(session, review: Review, *, now: datetime) -> list[tuple[str, str, str]]:
    """Every demo secretary gets a login and an email, except the last one: no email and no login, so that the
    待电话转达 list is not empty. The first unit's notices also go to a group robot (the local robot sink)."""
    from tracker.services.accounts import hash_password

    secretaries = demo_secretaries(session, review)
    accounts = []
    for index, secretary in enumerate(secretaries):
        username = SECRETARY_USERNAME if index == 0 else f"{SECRETARY_USERNAME}{index + 1}"
        unreachable = index == len(secretaries) - 1 and len(secretaries) > 1
        if secretary.phone is None:
            secretary.phone = f"1390000{index + 1:04d}"
        if unreachable:
            label = f"{secretary.unit.name}党委书记 {secretary.name}（无邮箱、未激活账号：通知将列入待电话转达）"
            accounts.append(("（无账号）", "—", label))
            continue
        if secretary.username is None:
            secretary.username = username
            secretary.email = f"{username}@demo.local"
            secretary.password_hash = hash_password(SECRETARY_PASSWORD)
            audit.record(session, actor=None, now=now, action="set_password", entity=secretary, note="演示账号")
        accounts.append((secretary.username, SECRETARY_PASSWORD,
                         f"{secretary.unit.name}党委书记 {secretary.name}（{secretary.email}）"))
    if secretaries and not secretaries[0].unit.robot_url:
        unit = secretaries[0].unit
        unit.robot_kind, unit.robot_url = "wecom", DEMO_ROBOT_URL
        audit.record(session, actor=None, now=now, action="update", entity=unit, field="robot_url",
                     after=DEMO_ROBOT_URL, note="演示：企业微信群机器人（本机接收器）")
        accounts.append(("（群机器人）", "—", f"{unit.name}的通知同时发到企业微信群机器人 {DEMO_ROBOT_URL}"))
    return accounts


def demo_roster(session, review: Review) -> bytes:
    """A 党组织书记名册 for the demo: emails for everyone (the unreachable one included, once imported), one
    换届, one unit spelled differently (near match) and one bad row."""
    from tracker.roster.workbook import write_roster

    rows = []
    for index, secretary in enumerate(demo_secretaries(session, review)):
        unit = secretary.unit.name
        row = {"unit": unit, "name": secretary.name, "title": "党委书记", "phone": f"1390000{index + 1:04d}",
               "email": f"roster{index + 1}@demo.local"}
        if index == 1:
            row.update(name="新任书记", email="xinren@demo.local", note="换届")
        elif index == 2:
            row.update(unit=unit[:-1] if len(unit) > 2 else unit + "党委")  # a near match to pick
        rows.append(row)
    rows.append({"unit": "", "name": "某某", "phone": "待定"})  # a bad row: shown with its number, never imported
    return write_roster(rows)
