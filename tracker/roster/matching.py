"""Each roster row matched to a unit and a person (existing or new), with its conflicts: another active
secretary in the unit (换届), an email used by someone else, a unit not found (near matches offered).
Reads only; nothing is written here."""
import difflib
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from tracker.models import Role, Task, TaskStatus, Unit, User
from tracker.roster.workbook import FIELDS, Sheet
from tracker.services.accounts import normalise_email
from tracker.services.errors import DomainError

_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")
NEAR_LIMIT = 3


@dataclass
class RowPlan:
    number: int
    values: dict  # field → text
    unit: Unit | None = None
    near: list = field(default_factory=list)  # [(unit id, name)] offered when the unit is not found
    user: User | None = None  # the person the row names, when they exist
    replaces: list = field(default_factory=list)  # other active secretaries of the unit: 换届
    open_tasks: int = 0  # of those replaced, moving to the new secretary
    email: str | None = None
    keep_email: bool = False  # the account has a password: its email is not the roster's to change
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def action(self) -> str:
        if self.errors:
            return "有误，跳过"
        if self.user is None:
            return "换届：新书记" if self.replaces else "新建书记"
        return "换届：更新" if self.replaces else "更新"


@dataclass
class RosterPlan:
    rows: list[RowPlan]

    @property
    def good(self) -> list[RowPlan]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[RowPlan]:
        return [r for r in self.rows if not r.ok]


def _values(cells: list[str], mapping: dict) -> dict:
    out = {}
    for name in FIELDS:
        index = mapping.get(name)
        out[name] = cells[index].strip() if index is not None and 0 <= index < len(cells) else ""
    return out


def build_plan(session, sheet: Sheet, *, mapping: dict | None = None, choices: dict | None = None,
               scope=None) -> RosterPlan:
    """`mapping` overrides the guessed columns; `choices` maps a row number to the unit id the user picked;
    `scope` (access.unit_scope of the uploader, None for all) the units a row may name: a county's roster never
    matches another county's unit of the same name."""
    mapping = {**sheet.mapping, **(mapping or {})}
    choices = choices or {}
    query = select(Unit).where(Unit.merged_into_id.is_(None))
    if scope is not None:
        query = query.where(Unit.id.in_(scope))
    units = session.scalars(query.order_by(Unit.id)).all()
    by_name = {u.name: u for u in units}
    by_id = {u.id: u for u in units}
    plans, seen_units, seen_emails = [], {}, {}
    for number, cells in sheet.rows:
        plan = RowPlan(number=number, values=_values(cells, mapping))
        _match_unit(plan, by_name, by_id, choices.get(str(number)))
        if not plan.values["name"]:
            plan.errors.append("姓名为空")
        _check_phone(plan)
        _check_email(plan, seen_emails)
        if plan.unit is not None and plan.values["name"]:
            # Only a row that will be imported holds its unit: a bad row does not block a corrected one.
            if plan.unit.id in seen_units:
                plan.errors.append(f"与第{seen_units[plan.unit.id]}行是同一单位，一个单位只登记一名书记")
            elif not plan.errors:
                seen_units[plan.unit.id] = number
            _match_person(session, plan, by_id)
        plans.append(plan)
    return RosterPlan(plans)


def _match_unit(plan: RowPlan, by_name: dict, by_id: dict, chosen) -> None:
    text = plan.values["unit"]
    if chosen and str(chosen).isdigit() and int(chosen) in by_id:
        plan.unit = by_id[int(chosen)]
        return
    if not text:
        plan.errors.append("单位为空")
        return
    plan.unit = by_name.get(text) or by_name.get(" ".join(text.split()))
    if plan.unit is None:
        close = difflib.get_close_matches(text, list(by_name), n=NEAR_LIMIT, cutoff=0.5)
        close += [n for n in by_name if (text in n or n in text) and n not in close][: NEAR_LIMIT - len(close)]
        plan.near = [(by_name[n].id, n) for n in close]
        hint = f"，是否为：{'、'.join(close)}？请在下方选择" if close else "，请先在“责任单位”中建立该单位或改正名册"
        plan.errors.append(f"未找到单位“{text}”{hint}")


def _check_phone(plan: RowPlan) -> None:
    phone = plan.values["phone"].replace("－", "-").replace(" ", "")
    plan.values["phone"] = phone
    if phone and not _PHONE.match(phone):
        plan.errors.append(f"手机号码格式不正确：{phone}")


def _check_email(plan: RowPlan, seen: dict) -> None:
    try:
        plan.email = normalise_email(plan.values["email"])
    except DomainError as exc:
        plan.errors.append(str(exc))
        return
    if plan.email:
        if plan.email in seen:
            plan.errors.append(f"邮箱与第{seen[plan.email]}行重复：{plan.email}")
        else:
            seen[plan.email] = plan.number


def _match_person(session, plan: RowPlan, visible_units: dict) -> None:
    secretaries = session.scalars(select(User).where(User.role == Role.SECRETARY, User.unit_id == plan.unit.id)
                                  .order_by(User.active.desc(), User.id)).all()
    named = [u for u in secretaries if u.name == plan.values["name"]]
    plan.user = named[0] if named else None
    plan.replaces = [u for u in secretaries if u.active and u is not plan.user]
    if plan.replaces:
        plan.open_tasks = session.query(Task).filter(Task.owner_id.in_([u.id for u in plan.replaces]),
                                                     Task.status != TaskStatus.CLOSED).count()
        names = "、".join(u.name for u in plan.replaces)
        plan.warnings.append(f"换届：{plan.unit.name}现任书记{names}将停用，其{plan.open_tasks}项未销号任务转给"
                             f"{plan.values['name']}")
    if plan.email:
        holder = session.scalar(select(User).where(User.email == plan.email))
        if holder is not None and holder is not plan.user:
            if holder.unit_id is not None and holder.unit_id not in visible_units:
                plan.errors.append(f"邮箱{plan.email}已被其他县（市、区）的账号使用")  # names nobody outside
            else:
                where = f"（{holder.unit.name}）" if holder.unit else ""
                plan.errors.append(f"邮箱{plan.email}已被{holder.name}{where}使用")
        elif plan.user is not None and plan.user.password_hash and plan.user.email and plan.user.email != plan.email:
            plan.keep_email = True
            plan.warnings.append(f"{plan.user.name}已设置密码，邮箱不由名册修改（保留{plan.user.email}）")
