"""Import: all or nothing, idempotent by content hash, anonymised units kept apart and flagged."""
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import NOW
from tracker.models import AuditEvent, Comment, Review, Task, TaskStatus, TaskType, Unit, User
from tracker.parser import parse_text, read_document
from tracker.services.errors import DomainError
from tracker.services.importer import apply_plan, build_plan

RULES = {"remind_before_workdays": [5, 2, 0]}
HELD_ON = date(2026, 1, 20)
DEADLINE = date(2026, 6, 30)


def counts(db):
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Review, Unit, User, Comment, Task, AuditEvent)}


def plan_for(data: bytes, name: str, **kwargs):
    text = read_document(data, name)
    options = {"held_on": HELD_ON, "deadline": DEADLINE, "task_type": TaskType.TIME_LIMITED} | kwargs
    return build_plan(parse_text(text), text=text, source_filename=name, **options)


def test_sample_becomes_review_units_secretaries_comments_and_tasks(db, sample_path):
    result = apply_plan(db.session, plan_for(sample_path.read_bytes(), sample_path.name), actor=None, now=NOW,
                        rules=RULES)
    db.session.commit()

    assert result.created
    assert counts(db)["Comment"] == 14
    assert len(result.tasks) == 31
    overall = [t for t in result.tasks if t.is_overall]
    assert len(overall) == 3 and all(t.unit_id is None and t.owner_id is None for t in overall)
    assert [t.ledger_position for t in result.tasks] == list(range(1, 32))
    assert all(t.status == TaskStatus.PENDING and t.deadline == DEADLINE and t.policy == RULES for t in result.tasks)
    # 13 anonymised "XX镇/XX乡/县XX局" sections stay 13 separate units, all flagged; 县文旅体局 is a real name.
    assert len(result.new_units) == 14
    assert len(result.flagged_units) == 13
    culture = db.session.scalar(select(Unit).where(Unit.name == "县文旅体局"))
    assert culture.needs_rename is False
    owner = db.session.scalar(select(User).where(User.unit_id == culture.id))
    assert (owner.name, owner.title, owner.password_hash) == ("唐娟", "党组书记", None)
    first_task = db.session.scalar(select(Task).where(Task.unit_id == culture.id).order_by(Task.position))
    assert first_task.problem_text == "对基层党组织压力传导还不到位，党建工作跟踪问效力度不够大。"
    assert first_task.owner_id == owner.id


def test_same_document_again_changes_nothing_even_in_another_encoding(db, sample_path):
    data = sample_path.read_bytes()
    apply_plan(db.session, plan_for(data, "a.txt"), actor=None, now=NOW, rules=RULES)
    db.session.commit()
    before = counts(db)

    gb = data.decode("utf-8").encode("gb18030")
    again = apply_plan(db.session, plan_for(gb, "b.txt"), actor=None, now=NOW, rules=RULES)
    db.session.commit()
    assert again.created is False
    assert counts(db) == before


def test_real_unit_names_are_matched_across_reviews(db):
    first = "一、请县司法局党组书记张明同志述职。\n点评：工作扎实。但还存在以下问题：一是制度不健全。二是宣传不够。\n希望张明同志继续努力。\n"
    second = first.replace("一是制度不健全", "一是学习不深入")
    for text in (first, second):
        apply_plan(db.session, plan_for(text.encode(), "x.txt"), actor=None, now=NOW, rules=RULES)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert db.session.scalar(select(func.count()).select_from(Task)) == 4


def test_a_failure_late_in_the_import_leaves_nothing_behind(db, sample_path):
    plan = plan_for(sample_path.read_bytes(), sample_path.name)
    plan.units[-1].existing_unit_id = 999_999  # the last section maps to a unit that does not exist
    before = counts(db)
    with pytest.raises(DomainError, match="不存在"):
        apply_plan(db.session, plan, actor=None, now=NOW, rules=RULES)
    db.session.rollback()
    assert counts(db) == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"deadline": date(2026, 2, 1)}, "早于今天"), ({"deadline": None}, "必须设置整改时限")],
)
def test_bad_deadlines_import_nothing(db, sample_path, kwargs, message):
    before = counts(db)
    with pytest.raises(DomainError, match=message):
        apply_plan(db.session, plan_for(sample_path.read_bytes(), "s.txt", **kwargs), actor=None, now=NOW,
                   rules=RULES)
    db.session.rollback()
    assert counts(db) == before


def test_ongoing_tasks_import_without_deadline(db, sample_path):
    result = apply_plan(db.session, plan_for(sample_path.read_bytes(), "s.txt", task_type=TaskType.ONGOING),
                        actor=None, now=NOW, rules=RULES)
    assert all(t.deadline is None and t.task_type == TaskType.ONGOING for t in result.tasks)


def test_import_is_audited(db, sample_path):
    apply_plan(db.session, plan_for(sample_path.read_bytes(), "s.txt"), actor=None, now=NOW, rules=RULES)
    actions = dict(db.session.execute(
        select(AuditEvent.action, func.count()).group_by(AuditEvent.action)).all())
    # 13 of the 14 secretaries are anonymised ("XX同志"): no account is made for a name nobody can log in as.
    assert actions == {"import_review": 1, "create_unit": 14, "create_user": 1, "create_task": 31}
