"""Small builders for test data; each returns flushed model objects."""
from datetime import date, datetime, timedelta, timezone

from tracker.models import Comment, Review, Role, Task, TaskStatus, TaskType, Unit, UnitKind, User
from werkzeug.security import generate_password_hash

PASSWORD = "correct-horse-9"
# Still scrypt, with a smaller work factor: test set-up should not spend seconds hashing.
FAST_SCRYPT = "scrypt:4096:8:1"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 in Asia/Shanghai, a Monday


def make_unit(session, name="青山镇", kind=UnitKind.TOWN) -> Unit:
    unit = Unit(name=name, kind=kind)
    session.add(unit)
    session.flush()
    return unit


def make_user(session, role=Role.SECRETARY, unit=None, username=None, name="张三", email=None,
              password=PASSWORD) -> User:
    username = username or f"{role}-{session.query(User).count() + 1}"
    user = User(username=username, name=name, role=role, unit_id=unit.id if unit else None,
                email=email or f"{username}@example.test",
                password_hash=generate_password_hash(password, FAST_SCRYPT) if password else None)
    session.add(user)
    session.flush()
    return user


def make_review(session, title="2026年度述职评议会议", held_on=date(2026, 1, 20)) -> Review:
    review = Review(title=title, held_on=held_on, source_filename="t.txt",
                    content_hash=f"{title}-{session.query(Review).count()}")
    session.add(review)
    session.flush()
    return review


def make_task(session, unit, owner=None, review=None, deadline=date(2026, 3, 31), text="问题描述",
              task_type=TaskType.TIME_LIMITED, status=TaskStatus.PENDING, position=None, rules=None) -> Task:
    review = review or make_review(session)
    comment = Comment(review=review, unit_id=unit.id, position=session.query(Comment).count() + 1,
                      secretary_name=owner.name if owner else "", strengths="优点", expectations="希望")
    session.add(comment)
    session.flush()
    count = session.query(Task).count()
    task = Task(review=review, comment=comment, unit_id=unit.id, position=position or 1,
                ledger_position=count + 1, problem_text=text, task_type=task_type, deadline=deadline,
                status=status, owner_id=owner.id if owner else None, policy=rules, next_check_at=NOW)
    session.add(task)
    session.flush()
    return task


def days(n: int) -> timedelta:
    return timedelta(days=n)
