"""What both task pages (书记's and 县委组织部's) show about a task: its history as one timeline, and its 点评.

The timeline costs one query per kind of record — progress updates, evidence files, audited changes, extension
requests, outbox notices (and the names of the users or units a change refers to, only when one does) —
however many entries it holds: never a query per entry.
"""
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.models import (
    AuditEvent,
    EscalationLevel,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    ProgressUpdate,
    Task,
    Unit,
    User,
)
from tracker.models.notify import OutboxMessage
from tracker.proposals.visibility import INTERNAL_ENTITIES, OWNER_MAIL_KINDS, owner_level
from tracker.services.workflow import TRANSITIONS
from tracker.timeutil import cn_date

SYSTEM = "系统"
EMPTY = "（无）"

# Audited task fields whose change the timeline spells out ("状态：待整改 → 整改中").
FIELD_LABELS = {
    "status": "状态",
    "deadline": "整改时限",
    "owner_id": "责任人",
    "responsible_person": "具体责任人",
    "escalation_level": "督办等级",
    "assessment": "验收评价",
    "task_type": "任务类型",
    "unit_id": "责任单位",
}
# Titles of audited actions that are not status transitions (those take their label from the workflow).
ACTION_TITLES = {
    "create_task": "任务创建",
    "assess": "验收评价",
    "reassign": "更换责任人",
    "set_deadline": "整改时限变更",
    "set_reminder_cycle": "新一轮提醒",
    "second_round": "进入二次整改",
    "set_responsible_person": "设定具体责任人",
    "escalate": "督办等级提升",
    "acknowledge": "签收通知",
    "merge_unit": "责任单位合并",
    "propose": "系统提出建议",
    "decide_proposal": "组织部作出决定",
    "dismiss_proposal": "组织部驳回建议",
    "request_explanation": "请责任人提交情况说明",
}
# Audit rows whose record has an entry of its own (the update, the file, the extension request) or whose
# text another entry already shows (整改措施 is the body of the plan update).
SHOWN_ELSEWHERE = (ProgressUpdate.__tablename__, Evidence.__tablename__, ExtensionRequest.__tablename__)
HIDDEN_ACTIONS = ("set_measures",)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # update / evidence / change / extension / notice: the entry's CSS class is timeline-<kind>
    time: datetime
    title: str
    actor: str = ""
    text: str = ""
    note: str = ""
    field: str = ""  # the label of the changed field, with its values as a reader says them
    before: str = ""
    after: str = ""
    evidence: tuple[Evidence, ...] = ()
    more: tuple[str, ...] = ()  # the other changes made by the same act (merged into this one line)

    @property
    def change(self) -> str:
        first = (f"{self.field}：{self.before} → {self.after}",) if self.field else ()
        return "；".join(first + self.more)


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    # Oldest first, requester and decider loaded: the organization department decides them on the same page.
    extension_requests: list[ExtensionRequest]

    @property
    def pending_extension(self) -> ExtensionRequest | None:
        pending = [r for r in self.extension_requests if r.status == ExtensionStatus.REQUESTED]
        return pending[-1] if pending else None


def task_timeline(session, task: Task, *, for_owner: bool = False) -> Timeline:
    """Plan and progress updates with their files, audited changes, extension requests and notices, oldest first.
    for_owner: as the unit's secretary reads it, without the 约谈/通报 deliberation (tracker.proposals.visibility)."""
    requests = _extension_requests(session, task)
    # At one moment a decision comes before the changes it makes (批准延期 → 整改时限变更): sort is stable.
    entries = [*_updates(session, task), *_extension_entries(requests), *_changes(session, task, for_owner),
               *_notices(session, task, for_owner)]
    entries.sort(key=lambda entry: entry.time)
    return Timeline(entries=_one_line_per_act(entries), extension_requests=requests)


# Changes an act makes besides its own (退回 → 二次整改, 验收评价, a new 整改时限 and its reminder cycle).
FOLLOW_UPS = frozenset({"进入二次整改", "验收评价", "整改时限变更", "新一轮提醒", "验收评价变更"})


def _one_line_per_act(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """An act writes several audit rows at one moment (退回 → 状态, 二次整改, 验收评价, 整改时限): one line."""
    merged: list[TimelineEntry] = []
    for entry in entries:
        last = merged[-1] if merged else None
        if (last is not None and entry.kind == last.kind == "change" and entry.time == last.time
                and entry.actor == last.actor and (entry.title == last.title or entry.title in FOLLOW_UPS)):
            said = entry.change or (entry.title if entry.title != last.title else "")
            extra = (said,) if said and said not in last.change else ()
            note = last.note if not entry.note or entry.note in last.note else "；".join(filter(None, (last.note, entry.note)))
            merged[-1] = replace(last, more=last.more + extra, note=note)
            continue
        merged.append(entry)
    return merged


def comment_problems(session, task: Task) -> list[tuple[int, str, bool]]:
    """(id, text, is_this_task) for every problem of the task's 点评, in the comment's order."""
    if task.comment_id is None:
        return [(task.id, task.problem_text, True)]
    rows = session.execute(
        select(Task.id, Task.problem_text).where(Task.comment_id == task.comment_id).order_by(Task.position, Task.id)
    ).all()
    return [(row.id, row.problem_text, row.id == task.id) for row in rows]


def _name(user: User | None) -> str:
    return user.name if user is not None else SYSTEM


def _updates(session, task: Task) -> list[TimelineEntry]:
    updates = session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.task_id == task.id)
        .options(joinedload(ProgressUpdate.author)).order_by(ProgressUpdate.created_at, ProgressUpdate.id)
    ).all()
    files: dict[int | None, list[Evidence]] = {}
    for item in session.scalars(select(Evidence).where(Evidence.task_id == task.id).order_by(Evidence.id)):
        files.setdefault(item.update_id, []).append(item)
    entries = [TimelineEntry("update", u.created_at, u.kind, _name(u.author), text=u.body,
                             evidence=tuple(files.get(u.id, ()))) for u in updates]
    # Files uploaded outside an update (none of today's forms does, but the model allows it).
    entries += [TimelineEntry("evidence", item.uploaded_at, "上传佐证材料", evidence=(item,))
                for item in files.get(None, ())]
    return entries


def _changes(session, task: Task, for_owner: bool = False) -> list[TimelineEntry]:
    query = select(AuditEvent).where(AuditEvent.task_id == task.id, AuditEvent.entity_type.not_in(SHOWN_ELSEWHERE),
                                     AuditEvent.action.not_in(HIDDEN_ACTIONS))
    if for_owner:
        query = query.where(AuditEvent.entity_type.not_in(INTERNAL_ENTITIES))
    events = session.scalars(query.options(joinedload(AuditEvent.actor)).order_by(AuditEvent.at, AuditEvent.id)).all()
    if for_owner:  # a rise past 督办 (to 约谈 or 通报) is the proposal itself: its owner does not see it
        events = [e for e in events if e.field != "escalation_level" or _owner_level(e.before) != _owner_level(e.after)]
    names = _referenced_names(session, events)
    entries = []
    for event in events:
        spelled_out = (event.entity_type == Task.__tablename__ and event.field in FIELD_LABELS
                       and event.action != "create_task")
        change = {}
        before, after, note = event.before, event.after, event.note or ""
        if for_owner and event.field == "escalation_level":
            before, after = _owner_level(before), _owner_level(after)
            note = "" if after != event.after else note  # "逾期升级为约谈" names the proposal
        if spelled_out:
            change = {"field": FIELD_LABELS[event.field],
                      "before": _readable(event.field, before, names),
                      "after": _readable(event.field, after, names)}
        entries.append(TimelineEntry("change", event.at, _title(event), _name(event.actor), note=note, **change))
    return entries


def _owner_level(value: str | None) -> str:
    return str(owner_level(int(value))) if value and value.isdigit() else (value or "")


def _title(event: AuditEvent) -> str:
    if event.entity_type == Task.__tablename__ and event.action in TRANSITIONS:
        return TRANSITIONS[event.action].label
    if event.action in ACTION_TITLES:
        return ACTION_TITLES[event.action]
    if event.field in FIELD_LABELS:
        return f"{FIELD_LABELS[event.field]}变更"
    return event.action


def _referenced_names(session, events) -> dict[str, dict[int, str]]:
    """The names behind owner_id / unit_id values: one query per model, only if some change refers to one."""
    wanted = {"owner_id": (User, set()), "unit_id": (Unit, set())}
    for event in events:
        if event.field in wanted:
            wanted[event.field][1].update(int(v) for v in (event.before, event.after) if v and v.isdigit())
    return {field: dict(session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}
            for field, (model, ids) in wanted.items()}


def _readable(field: str, value: str | None, names: dict[str, dict[int, str]]) -> str:
    if value is None or value == "":
        return EMPTY
    if field == "deadline":
        try:
            return cn_date(date.fromisoformat(value))
        except ValueError:
            return value
    if field == "escalation_level" and value.isdigit():
        return EscalationLevel.LABELS.get(int(value), value)
    if field in names and value.isdigit():
        return names[field].get(int(value), value)
    return value


def _extension_requests(session, task: Task) -> list[ExtensionRequest]:
    return list(session.scalars(
        select(ExtensionRequest).where(ExtensionRequest.task_id == task.id)
        .options(joinedload(ExtensionRequest.requested_by), joinedload(ExtensionRequest.decided_by))
        .order_by(ExtensionRequest.created_at, ExtensionRequest.id)
    ))


def _extension_entries(requests: list[ExtensionRequest]) -> list[TimelineEntry]:
    """The request when it was made, and the decision (a second entry) when it was taken."""
    entries = []
    for item in requests:
        entries.append(TimelineEntry("extension", item.created_at, "延期申请", _name(item.requested_by),
                                     text=f"申请延期至{cn_date(item.requested_deadline)}。理由：{item.reason}",
                                     note=str(item.status)))
        if item.status != ExtensionStatus.REQUESTED and item.decided_at is not None:
            entries.append(TimelineEntry("extension", item.decided_at, f"延期申请{item.status}",
                                         _name(item.decided_by), text=item.decision_reason or ""))
    return entries


def _notices(session, task: Task, for_owner: bool = False) -> list[TimelineEntry]:
    """Mails about this task from the outbox: what was sent (or is waiting), to whom, in what state."""
    query = select(OutboxMessage).where(OutboxMessage.task_id == task.id)
    if for_owner:
        query = query.where(OutboxMessage.kind.in_(OWNER_MAIL_KINDS))
    messages = session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)).all()
    return [TimelineEntry("notice", message.sent_at or message.created_at, f"通知：{message.subject}", SYSTEM,
                          text=f"收件人：{'、'.join(message.to_addresses)}" if message.to_addresses else "",
                          note=f"发送状态：{message.status_label}")
            for message in messages]


# --- 操作日志: the same labels for every audited record, not only tasks ----------------------------------

ENTITY_LABELS = {
    "task": "整改任务", "progress_update": "整改进展", "evidence": "佐证材料", "extension_request": "延期申请",
    "review": "导入点评", "unit": "责任单位", "user_account": "用户", "holiday_day": "节假日",
    "proposal": "约谈通报", "proposal_decision": "约谈通报决定", "explanation_request": "情况说明",
    "org_handling": "组织处理", "outbox_message": "邮件", "phone_relay": "电话转达",
}
MORE_TITLES = {
    "create_user": "创建用户", "update": "修改", "activate": "启用或停用账号", "set_password": "设置密码",
    "change_password": "修改密码", "revoke_account_links": "作废账号链接", "add_own_email": "填写本人邮箱",
    "create_unit": "新增责任单位", "rename_unit": "责任单位更名", "add_holiday": "录入节假日",
    "delete_holiday": "删除节假日", "import_review": "导入点评", "import_roster": "导入书记名册",
    "retry_mail": "重发邮件", "resolve": "建议已整改", "propose_add": "建议增补任务",
    "record_org_handling": "记录组织处理", "phone_relayed": "已电话通知", "post_update": "提交材料",
    "upload_evidence": "上传佐证材料", "request_extension": "申请延期",
}


def log_entries(session, events) -> list[TimelineEntry]:
    """Audit events of any record as readable lines (操作日志): names for ids, labels for levels and dates."""
    names = _referenced_names(session, events)
    entries = []
    for event in events:
        title = _title(event)
        title = MORE_TITLES.get(event.action, title) if title == event.action else title
        change = {}
        if event.field and event.action != "create_task":
            label = FIELD_LABELS.get(event.field, "")
            if label:
                change = {"field": label, "before": _readable(event.field, event.before, names),
                          "after": _readable(event.field, event.after, names)}
        entries.append(TimelineEntry(ENTITY_LABELS.get(event.entity_type, "其他"), event.at, title,
                                     _name(event.actor), note=event.note or "", **change))
    return entries
