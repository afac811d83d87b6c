"""Turns a parsed 述职评议 transcript into a Review, Units, secretaries, Comments and Tasks.

All or nothing: apply_plan() only adds to the session; the caller commits once or rolls back.
"""
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from tracker.models import Comment, Review, ReviewKind, Role, Task, TaskStatus, TaskType, Unit, UnitKind, User
from tracker.models.tenants import Organization, ensure_default_county
from tracker.parser import ParsedReview
from tracker.services import access, audit
from tracker.services.errors import DomainError
from tracker.services.deadlines import check_deadline, snapshot_policy
from tracker.timeutil import cn_date, local_date

# "XX镇", "XXX同志", "某乡": names anonymised in a transcript cannot identify a unit.
ANONYMISED = re.compile(r"[XxＸｘ×*＊]{2,}|某")


def is_anonymised(name: str) -> bool:
    return bool(ANONYMISED.search(name or ""))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


# How the preview chose a section's owner. AUTO (the CLI and the demo): the named secretary of the unit, else
# a new one when the name is real, else the unit's current secretary.
OWNER_AUTO, OWNER_CURRENT, OWNER_NEW, OWNER_NONE = "auto", "current", "new", "none"


def current_secretary(session, unit_id: int) -> User | None:
    return session.scalar(select(User).where(User.role == Role.SECRETARY, User.unit_id == unit_id,
                                             User.active.is_(True)).order_by(User.id.desc()).limit(1))


@dataclass
class PlannedProblem:
    text: str
    task_type: str
    deadline: date | None
    measures: str = ""
    responsible_person: str = ""


@dataclass
class PlannedUnit:
    unit_name: str
    unit_kind: str
    secretary: str
    secretary_title: str
    strengths: str = ""
    expectations: str = ""
    comment: str = ""
    heading: str = ""
    existing_unit_id: int | None = None  # set when the user maps the section to a known unit
    owner: str = OWNER_AUTO
    owner_id: int | None = None  # with OWNER_CURRENT: the secretary the preview showed
    problems: list[PlannedProblem] = field(default_factory=list)


@dataclass
class ImportPlan:
    title: str
    held_on: date
    source_filename: str
    content_hash: str
    units: list[PlannedUnit]
    overall_problems: list[PlannedProblem]
    kind: str = ReviewKind.APPRAISAL

    @property
    def task_count(self) -> int:
        return sum(len(u.problems) for u in self.units) + len(self.overall_problems)


@dataclass
class ImportResult:
    review: Review
    created: bool
    tasks: list[Task] = field(default_factory=list)
    new_units: list[Unit] = field(default_factory=list)
    flagged_units: list[Unit] = field(default_factory=list)
    new_secretaries: list[User] = field(default_factory=list)


def build_plan(parsed: ParsedReview, *, text: str, source_filename: str, held_on: date,
               deadline: date | None, task_type: str = TaskType.TIME_LIMITED) -> ImportPlan:
    """The default plan: every problem a task of one type and deadline. The browser preview edits it."""
    if task_type == TaskType.ONGOING:
        deadline = None

    def problems(items):
        return [PlannedProblem(text=p.text, task_type=task_type, deadline=deadline) for p in items]

    units = [
        PlannedUnit(unit_name=u.unit, unit_kind=u.unit_kind, secretary=u.secretary,
                    secretary_title=u.secretary_title, strengths=u.strengths, expectations=u.expectations,
                    comment=u.comment, heading=u.heading, problems=problems(u.problems))
        for u in parsed.units
    ]
    title = parsed.title or f"{held_on.year}年度党组织书记抓基层党建工作述职评议会议"
    return ImportPlan(title=title, held_on=held_on, source_filename=source_filename,
                      content_hash=content_hash(text), units=units,
                      overall_problems=problems(parsed.overall_problems))


def find_existing(session, plan: ImportPlan) -> Review | None:
    return session.scalar(select(Review).where(Review.content_hash == plan.content_hash))


def validate_plan(plan: ImportPlan, *, now: datetime, tz: str | None = None) -> None:
    if not plan.units and not plan.overall_problems:
        raise DomainError("文档中没有可导入的点评或问题")
    if plan.kind not in ReviewKind.ALL:
        raise DomainError(f"未知的类别：{plan.kind}")
    named = [(unit.unit_name, unit.problems) for unit in plan.units] + [("全县共性问题", plan.overall_problems)]
    for unit in plan.units:
        if not unit.unit_name.strip() and unit.existing_unit_id is None:
            raise DomainError("每个点评都必须对应一个责任单位")
    for unit_name, problems in named:
        for problem in problems:
            if not problem.text.strip():
                raise DomainError(f"{unit_name}：问题描述不能为空")
            if problem.task_type not in set(TaskType):
                raise DomainError(f"未知的整改类型：{problem.task_type}")
            check_deadline(problem.deadline, problem.task_type, now=now, tz=tz)


def import_county(session, actor: User | None, county_id: int | None = None, *, now: datetime) -> int:
    """The county a review is imported into: the one chosen (a city or province account must choose one of
    its counties), else the actor's county, else the install's default county (made if missing)."""
    if county_id is not None:
        county = session.get(Organization, county_id)
        if county is None or not county.is_county or (actor is not None and not access.covers_county(
                actor, county.id, session)):
            raise DomainError("所选县（市、区）不存在或不在本部门管辖范围内")
        return county.id
    home = access.home_county_id(session, actor)
    if home is not None:
        return home
    if actor is not None and actor.organization_id is not None:
        raise DomainError("请先选择导入到哪个县（市、区）")
    return ensure_default_county(session, now=now).id


def apply_plan(session, plan: ImportPlan, *, actor: User | None, now: datetime, rules: dict,
               tz: str | None = None, county_id: int | None = None) -> ImportResult:
    existing = find_existing(session, plan)
    if existing is not None:
        return ImportResult(review=existing, created=False)
    validate_plan(plan, now=now, tz=tz)
    county_id = import_county(session, actor, county_id, now=now)

    review = Review(title=plan.title, kind=plan.kind, held_on=plan.held_on, source_filename=plan.source_filename,
                    content_hash=plan.content_hash, imported_at=now, county_id=county_id,
                    imported_by_id=actor.id if actor else None)
    session.add(review)
    session.flush()
    audit.record(session, actor=actor, now=now, action="import_review", entity=review,
                 after=plan.source_filename, note=plan.title)
    result = ImportResult(review=review, created=True)
    units_by_name: dict[str, Unit] = {}
    ledger = 0
    for position, planned in enumerate(plan.units, start=1):
        unit = _resolve_unit(session, planned, units_by_name, result, actor=actor, now=now, county_id=county_id)
        secretary = _resolve_secretary(session, unit, planned, result, actor=actor, now=now)
        comment = Comment(review=review, unit_id=unit.id, position=position, heading=planned.heading,
                          secretary_name=planned.secretary, secretary_title=planned.secretary_title,
                          strengths=planned.strengths, expectations=planned.expectations,
                          text=planned.comment)
        session.add(comment)
        session.flush()
        for index, problem in enumerate(planned.problems, start=1):
            ledger += 1
            result.tasks.append(_new_task(session, review, problem, position=index, ledger=ledger,
                                          comment=comment, unit=unit, owner=secretary, actor=actor,
                                          now=now, rules=rules, started_on=local_date(now, tz)))
    for index, problem in enumerate(plan.overall_problems, start=1):
        ledger += 1
        result.tasks.append(_new_task(session, review, problem, position=index, ledger=ledger,
                                      comment=None, unit=None, owner=None, actor=actor, now=now, rules=rules,
                                      started_on=local_date(now, tz)))
    session.flush()
    return result


def _resolve_unit(session, planned: PlannedUnit, units_by_name, result: ImportResult, *, actor, now,
                  county_id: int) -> Unit:
    if planned.existing_unit_id is not None:
        unit = session.get(Unit, planned.existing_unit_id)
        if unit is None or unit.county_id != county_id:
            raise DomainError(f"所选责任单位不存在（编号{planned.existing_unit_id}）")
        return unit
    name = planned.unit_name.strip()
    anonymised = is_anonymised(name)
    if not anonymised:
        unit = units_by_name.get(name) or session.scalar(
            select(Unit).where(Unit.name == name, Unit.merged_into_id.is_(None), Unit.county_id == county_id)
            .order_by(Unit.id).limit(1)
        )
        if unit is not None:
            units_by_name[name] = unit
            return unit
    kind = planned.unit_kind if planned.unit_kind in set(UnitKind) else UnitKind.OTHER
    unit = Unit(name=name, kind=kind, needs_rename=anonymised, created_at=now, county_id=county_id)
    session.add(unit)
    session.flush()
    audit.record(session, actor=actor, now=now, action="create_unit", entity=unit, after=name,
                 note="导入时新建；名称已匿名化，待更名" if anonymised else "导入时新建")
    result.new_units.append(unit)
    if anonymised:
        result.flagged_units.append(unit)
    else:
        units_by_name[name] = unit
    return unit


def _resolve_secretary(session, unit: Unit, planned: PlannedUnit, result: ImportResult, *, actor, now) -> User | None:
    """The owner of the section's tasks; never a new account named "XXX" (an anonymised name names nobody)."""
    name = planned.secretary.strip()
    real = bool(name) and not is_anonymised(name)
    if planned.owner == OWNER_NONE:
        return None
    if planned.owner == OWNER_CURRENT:
        user = session.get(User, planned.owner_id) if planned.owner_id else None
        if user is None or user.unit_id != unit.id or user.role != Role.SECRETARY or not user.active:
            raise DomainError(f"{unit.name}：所选书记已不是该单位的现任书记，请刷新预览后重新选择")
        return user
    if planned.owner == OWNER_NEW and not real:
        raise DomainError(f"{unit.name}：书记姓名“{name or '（空）'}”不是真实姓名，不能新建书记账号")
    if real:
        named = session.scalar(select(User).where(User.role == Role.SECRETARY, User.unit_id == unit.id,
                                                  User.name == name).order_by(User.id).limit(1))
        if named is not None:
            return named
    if planned.owner == OWNER_AUTO and not real:
        return current_secretary(session, unit.id)
    user = User(name=name, role=Role.SECRETARY, unit_id=unit.id, title=planned.secretary_title or None, created_at=now)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, now=now, action="create_user", entity=user, after=name,
                 note=f"{unit.name}{planned.secretary_title}")
    result.new_secretaries.append(user)
    return user


def _new_task(session, review, problem: PlannedProblem, *, position, ledger, comment, unit, owner, actor,
              now, rules, started_on: date) -> Task:
    task = Task(review=review, comment=comment, unit_id=unit.id if unit else None, is_overall=unit is None,
                position=position, ledger_position=ledger, problem_text=problem.text,
                measures=problem.measures, responsible_person=problem.responsible_person,
                task_type=problem.task_type, deadline=problem.deadline, status=TaskStatus.PENDING,
                owner_id=owner.id if owner else None, policy=snapshot_policy(rules), next_check_at=now,
                cycle_started_on=started_on,
                created_at=now, updated_at=now)
    session.add(task)
    session.flush()
    audit.record(session, actor=actor, now=now, action="create_task", entity=task, field="status",
                 after=task.status, note=f"整改时限：{cn_date(problem.deadline) if problem.deadline else '长期坚持'}")
    return task
