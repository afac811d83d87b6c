"""约谈 / 通报 pages: the lists, one proposal with its dossier and the decision forms, the .docx drafts,
the secretary's 情况说明, and the 组织处理 form. The organization department decides; the discipline
commission reads; the secretary of the unit sees its own proposal and may explain; anyone else gets 404.
"""
from io import BytesIO

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from tracker.extensions import db
from tracker.models import Role, Unit, User
from tracker.models.proposals import (
    ORG_HANDLING_MEASURES,
    OrgHandling,
    Proposal,
    ProposalKind,
    ProposalStatus,
    ProposalTask,
)
from tracker.models.types import utcnow
from tracker.proposals import decisions, queries
from tracker.proposals import drafts as docx_drafts
from tracker.proposals import service as service
from tracker.proposals.dossier import (
    build_dossier,
    can_view_proposal,
    submit_explanation,
)
from tracker.services.errors import DomainError
from tracker.settings import settings
from tracker.timeutil import local_date
from tracker.web.guards import roles_required

bp = Blueprint("proposals", __name__, url_prefix="/notify")

KIND_ARGS = {"talk": ProposalKind.TALK, "circular": ProposalKind.CIRCULAR}
ARG_OF_KIND = {kind: arg for arg, kind in KIND_ARGS.items()}


def _today():
    return local_date(utcnow(), settings().timezone)


def _org_name() -> str:
    return settings().org_dept_name


def _int_arg(value, default: int = 1) -> int:
    return int(value) if value and str(value).isdigit() and int(value) > 0 else default


def _visible_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_view_proposal(current_user, proposal):
        abort(404)
    return proposal


@bp.get("/proposals")
@roles_required(Role.ORG_DEPT, Role.DISCIPLINE)
def proposals():
    kind_arg = request.args.get("kind") if request.args.get("kind") in KIND_ARGS else "talk"
    state = request.args.get("state") if request.args.get("state") in queries.LIST_STATES else "pending"
    page = queries.list_proposals(db.session, kind=KIND_ARGS[kind_arg], state=state,
                                  page=_int_arg(request.args.get("page")))
    return render_template("proposals/list.html", page=page, kind_arg=kind_arg, kind=KIND_ARGS[kind_arg],
                           state=state, counts=queries.proposal_counts(db.session), today=_today(),
                           can_decide=current_user.role == Role.ORG_DEPT)


def _render_detail(proposal: Proposal, *, errors=None, form=None, status: int = 200):
    dossier = build_dossier(db.session, proposal)
    handlings = db.session.scalars(select(OrgHandling).where(OrgHandling.proposal_id == proposal.id)
                                   .order_by(OrgHandling.id)).all()
    role = current_user.role
    return render_template(
        "proposals/detail.html", proposal=proposal, dossier=dossier, today=_today(),
        labels=decisions.decision_labels(proposal.kind), errors=errors or {}, form=form or {},
        can_decide=role == Role.ORG_DEPT and proposal.is_pending,
        can_explain=role == Role.SECRETARY and proposal.is_pending,
        can_download=role in (Role.ORG_DEPT, Role.DISCIPLINE), is_org=role == Role.ORG_DEPT,
        handlings=handlings, kind_arg=ARG_OF_KIND[proposal.kind],
    ), status


@bp.get("/proposals/<int:proposal_id>")
@login_required
def proposal(proposal_id: int):
    return _render_detail(_visible_proposal(proposal_id))


def _apply(proposal: Proposal, action, success: str, form_name: str):
    try:
        action()
    except decisions.ProposalFormError as exc:
        db.session.rollback()
        return _render_detail(db.session.get(Proposal, proposal.id), errors={form_name: exc.errors},
                              form={form_name: request.form.to_dict()}, status=400)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("proposals.proposal", proposal_id=proposal.id))
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("proposals.proposal", proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/decide")
@roles_required(Role.ORG_DEPT)
def proposal_decide(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    form = request.form
    return _apply(proposal, lambda: decisions.decide(
        db.session, proposal, actor=current_user, now=utcnow(), held_on=form.get("held_on", ""),
        held_by=form.get("held_by", ""), doc_number=form.get("doc_number", ""), note=form.get("note", "")),
        f"已记录{proposal.kind}决定", "decide")


@bp.post("/proposals/<int:proposal_id>/dismiss")
@roles_required(Role.ORG_DEPT)
def proposal_dismiss(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    return _apply(proposal, lambda: decisions.dismiss(
        db.session, proposal, actor=current_user, now=utcnow(), reason=request.form.get("reason", "")),
        f"已驳回该{proposal.kind}建议", "dismiss")


@bp.post("/proposals/<int:proposal_id>/explanation")
@roles_required(Role.SECRETARY)
def proposal_explanation(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    return _apply(proposal, lambda: submit_explanation(
        db.session, proposal, task_id=request.form.get("task_id"), actor=current_user, now=utcnow(),
        body=request.form.get("body", "")), "情况说明已提交", "explanation")


def _docx_response(content: bytes, filename: str):
    return send_file(BytesIO(content), mimetype=docx_drafts.DOCX_MIMETYPE, as_attachment=True,
                     download_name=filename)


@bp.get("/proposals/<int:proposal_id>/draft.docx")
@roles_required(Role.ORG_DEPT, Role.DISCIPLINE)
def proposal_draft(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    today = _today()
    if proposal.kind == ProposalKind.TALK:
        content = docx_drafts.talk_notice_docx(proposal, today, _org_name())
        name = f"约谈通知书（草稿）-{proposal.unit.name if proposal.unit else proposal.id}.docx"
    else:
        content = docx_drafts.circular_docx([proposal], today, _org_name())
        name = f"通报（草稿）-{proposal.unit.name if proposal.unit else proposal.id}.docx"
    return _docx_response(content, name)


@bp.get("/proposals/circular-draft.docx")
@roles_required(Role.ORG_DEPT, Role.DISCIPLINE)
def circular_draft():
    """One 通报 draft covering every 通报 proposal still 待决定."""
    pending = db.session.scalars(
        select(Proposal).where(Proposal.kind == ProposalKind.CIRCULAR, Proposal.status == ProposalStatus.PENDING)
        .options(joinedload(Proposal.unit), selectinload(Proposal.tasks).joinedload(ProposalTask.task))
        .order_by(Proposal.created_at)).all()
    if not pending:
        flash("目前没有待决定的通报建议，无需生成通报稿", "error")
        return redirect(url_for("proposals.proposals", kind="circular"))
    return _docx_response(docx_drafts.circular_docx(list(pending), _today(), _org_name()), "通报（草稿）.docx")


@bp.route("/org-handling", methods=["GET", "POST"])
@roles_required(Role.ORG_DEPT)
def org_handling():
    """组织处理: recorded here by a person, never proposed or created by the system."""
    errors, status = {}, 200
    form = request.form.to_dict() if request.method == "POST" else {"proposal_id": request.args.get("proposal", "")}
    linked = db.session.get(Proposal, int(form["proposal_id"])) if str(form.get("proposal_id", "")).isdigit() else None
    if linked is not None and not form.get("unit_id"):
        form["unit_id"] = str(linked.unit_id or "")
    if request.method == "POST":
        try:
            decisions.record_org_handling(
                db.session, actor=current_user, now=utcnow(), unit_id=form.get("unit_id"),
                cadre_id=form.get("cadre_id"), measure=form.get("measure", ""), doc_number=form.get("doc_number", ""),
                decided_on=form.get("decided_on", ""), note=form.get("note", ""), proposal_id=form.get("proposal_id"))
        except decisions.ProposalFormError as exc:
            db.session.rollback()
            errors, status = exc.errors, 400
        else:
            db.session.commit()
            flash("组织处理记录已保存", "success")
            return redirect(url_for("proposals.org_handling"))
    units = db.session.scalars(select(Unit).where(Unit.merged_into_id.is_(None)).order_by(Unit.name)).all()
    cadres = db.session.scalars(select(User).where(User.role == Role.SECRETARY, User.unit_id.is_not(None))
                                .options(joinedload(User.unit)).order_by(User.unit_id, User.name)).all()
    return render_template("proposals/org_handling.html", form=form, errors=errors, units=units,
                           cadres=cadres, measures=ORG_HANDLING_MEASURES, linked=linked,
                           records=queries.org_handlings(db.session)), status
