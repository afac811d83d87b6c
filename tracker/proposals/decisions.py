"""Deciding a proposal: 约谈 held or 通报 issued (date, by whom, 文号), dismissed with a reason, and the
组织处理 a person records (never proposed by the system)."""
import re
from datetime import date, datetime

from tracker.models import Role, Unit, User
from tracker.models.proposals import (
    ORG_HANDLING_MEASURES,
    DecisionOutcome,
    OrgHandling,
    Proposal,
    ProposalDecision,
    ProposalKind,
    ProposalStatus,
)
from tracker.services import audit
from tracker.services.errors import DomainError, PermissionDenied
from tracker.settings import settings
from tracker.timeutil import cn_date, local_date

MAX_NAMES = 200
MAX_DOC_NUMBER = 60
MAX_TEXT = 5000
# 〔2026〕3号 typed as [2026]3号, 【2026】3号 or (2026)3号: normalised to the official brackets.
DOC_NUMBER_RE = re.compile(r"^(.*?)[\[【(（〔﹝](\d{4})[\]】)）〕﹞]\s*(\d+)\s*号$")


class ProposalFormError(DomainError):
    """Bad input on a decision form: `errors` maps each field to its message; nothing was written."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


def _tz() -> str:
    return settings().timezone


# --- deciding (the organization department) ------------------------------------------------------------

def require_org(actor: User) -> None:
    if actor is None or actor.role != Role.ORG_DEPT:
        raise PermissionDenied("仅县委组织部可以决定约谈、通报事项")


def require_pending(proposal: Proposal) -> None:
    if not proposal.is_pending:
        raise DomainError(f"该{proposal.kind}建议已{proposal.status}，不能再次处理")


def _check_date(value: date | None, field: str, label: str, errors: dict, today: date) -> date | None:
    """A date the form has parsed already (a malformed one is the form's message): present, not ahead."""
    if value is None:
        errors[field] = f"请填写{label}"
        return None
    if value > today:
        errors[field] = f"{label}不能晚于今天（{cn_date(today)}）"
        return None
    return value


def normalise_doc_number(text: str | None) -> str:
    text = " ".join((text or "").split())
    match = DOC_NUMBER_RE.match(text)
    if match:
        prefix, year, number = match.groups()
        return f"{prefix.strip()}〔{year}〕{int(number)}号"
    return text


def decision_labels(kind: str) -> dict[str, str]:
    if kind == ProposalKind.TALK:
        return {"held_on": "约谈日期", "held_by": "约谈人"}
    return {"held_on": "通报印发日期", "held_by": "签发人"}


def decide(session, proposal: Proposal, *, actor: User, now: datetime, held_on: date | None, held_by: str,
           doc_number: str, note: str, owner_notice: str = "") -> ProposalDecision:
    """Records that the 约谈 was held / the 通报 issued. Needs the date, (for 约谈) who held it, and a 文号
    or a note; owner_notice is what the secretary concerned will read (the note stays internal).
    Raises ProposalFormError with a message per bad field, writing nothing."""
    require_org(actor)
    require_pending(proposal)
    labels = decision_labels(proposal.kind)
    today = local_date(now, _tz())
    errors: dict[str, str] = {}
    held_on = _check_date(held_on, "held_on", labels["held_on"], errors, today)
    created_on = local_date(proposal.created_at, _tz())
    if held_on is not None and held_on < created_on:
        errors["held_on"] = f"{labels['held_on']}不能早于建议提出的日期（{cn_date(created_on)}）"
    held_by = " ".join((held_by or "").split())
    if proposal.kind == ProposalKind.TALK and not held_by:
        errors["held_by"] = "请填写约谈人（可填写多人，用顿号分隔）"
    elif len(held_by) > MAX_NAMES:
        errors["held_by"] = f"{labels['held_by']}不能超过{MAX_NAMES}字"
    doc_number = normalise_doc_number(doc_number)
    note = (note or "").strip()
    if not doc_number and not note:
        errors["doc_number"] = "请填写文号或备注（至少填写一项）"
    if len(doc_number) > MAX_DOC_NUMBER:
        errors["doc_number"] = f"文号不能超过{MAX_DOC_NUMBER}字"
    if len(note) > MAX_TEXT:
        errors["note"] = f"备注不能超过{MAX_TEXT}字"
    owner_notice = (owner_notice or "").strip()
    if len(owner_notice) > MAX_TEXT:
        errors["owner_notice"] = f"告知责任人的事项不能超过{MAX_TEXT}字"
    if errors:
        raise ProposalFormError(errors)
    decision = ProposalDecision(proposal=proposal, outcome=DecisionOutcome.DECIDED, held_on=held_on,
                                held_by=held_by, doc_number=doc_number, note=note, owner_notice=owner_notice,
                                decided_by_id=actor.id, decided_at=now)
    session.add(decision)
    audit.change(session, actor=actor, now=now, entity=proposal, field="status", value=ProposalStatus.DECIDED,
                 action="decide_proposal",
                 note=f"{labels['held_on']}{cn_date(held_on)}；{labels['held_by']}{held_by or '—'}；"
                      f"文号{doc_number or '—'}；{note}")
    return decision


def dismiss(session, proposal: Proposal, *, actor: User, now: datetime, reason: str) -> ProposalDecision:
    """驳回 a proposal. The reason is required."""
    require_org(actor)
    require_pending(proposal)
    reason = (reason or "").strip()
    if not reason:
        raise ProposalFormError({"reason": "驳回必须填写理由"})
    if len(reason) > MAX_TEXT:
        raise ProposalFormError({"reason": f"理由不能超过{MAX_TEXT}字"})
    decision = ProposalDecision(proposal=proposal, outcome=DecisionOutcome.DISMISSED, dismiss_reason=reason,
                                decided_by_id=actor.id, decided_at=now)
    session.add(decision)
    audit.change(session, actor=actor, now=now, entity=proposal, field="status",
                 value=ProposalStatus.DISMISSED, action="dismiss_proposal", note=reason)
    return decision


def record_org_handling(session, *, actor: User, now: datetime, unit_id: int | None, cadre_id: int | None,
                        measure: str, doc_number: str, decided_on: date | None, note: str = "",
                        proposal_id: int | None = None) -> OrgHandling:
    """Records a 组织处理 decision taken by people. The only code that writes an OrgHandling."""
    require_org(actor)
    errors: dict[str, str] = {}
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if unit is None:
        errors["unit_id"] = "请选择责任单位"
    cadre = session.get(User, cadre_id) if cadre_id is not None else None
    if cadre is None or cadre.role != Role.SECRETARY or unit is None or cadre.unit_id != unit.id:
        errors["cadre_id"] = "请选择该责任单位的书记"
    if measure not in ORG_HANDLING_MEASURES:
        errors["measure"] = "请选择组织处理方式"
    doc_number = normalise_doc_number(doc_number)
    if not doc_number:
        errors["doc_number"] = "请填写组织处理决定的文号"
    elif len(doc_number) > MAX_DOC_NUMBER:
        errors["doc_number"] = f"文号不能超过{MAX_DOC_NUMBER}字"
    decided_on = _check_date(decided_on, "decided_on", "决定日期", errors, local_date(now, _tz()))
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        errors["note"] = f"备注不能超过{MAX_TEXT}字"
    proposal = None
    if proposal_id is not None:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None or unit is None or proposal.unit_id != unit.id:
            errors["proposal_id"] = "关联的约谈、通报建议不属于该单位"
    if errors:
        raise ProposalFormError(errors)
    handling = OrgHandling(unit_id=unit.id, cadre_id=cadre.id, cadre_name=cadre.name,
                           cadre_title=cadre.title or "", measure=measure, doc_number=doc_number,
                           decided_on=decided_on, note=note, proposal_id=proposal.id if proposal else None,
                           recorded_by_id=actor.id, recorded_at=now)
    session.add(handling)
    session.flush()
    audit.record(session, actor=actor, now=now, action="record_org_handling", entity=handling,
                 after=f"{cadre.name}：{measure}（{doc_number}）", note=note)
    return handling
