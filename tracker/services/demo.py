"""Demo data for `make run`: a fictional transcript of our own, imported like a real one."""
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tracker.models import Review, Role, Task, TaskType, User
from tracker.parser import parse_text
from tracker.services import audit
from tracker.services.accounts import create_user
from tracker.services.importer import apply_plan, build_plan
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
    secretary = _demo_secretary(session, result.review)
    if secretary is not None:
        if secretary.username is None:
            from tracker.services.accounts import hash_password

            secretary.username = SECRETARY_USERNAME
            secretary.email = f"{SECRETARY_USERNAME}@demo.local"
            secretary.password_hash = hash_password(SECRETARY_PASSWORD)
            audit.record(session, actor=None, now=now, action="set_password", entity=secretary, note="演示账号")
        accounts.append((secretary.username, SECRETARY_PASSWORD, f"{secretary.unit.name}党委书记 {secretary.name}"))
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


def _demo_secretary(session, review: Review) -> User | None:
    first_task = session.scalar(
        select(Task).where(Task.review_id == review.id, Task.is_overall.is_(False)).order_by(Task.ledger_position)
    )
    return first_task.owner if first_task is not None else None
