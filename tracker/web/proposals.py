"""约谈 / 通报 pages: the lists, one proposal with its dossier and the decision forms, the .docx drafts, the
request for a 情况说明, and the 组织处理 form. The organization department decides; the discipline commission
reads; anyone else, the secretary concerned included, gets 404 (they answer on their task page).
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
from flask_login import current_user
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
from tracker.proposals import owner
from tracker.proposals.dossier import build_dossier, can_view_proposal
from tracker.services import access, dashboard
from tracker.services.errors import DomainError
from tracker.settings import settings
from tracker.timeutil import local_date
from tracker.web.guards import roles_required
from tracker.web.hardening import parse_int
from tracker.web.proposal_forms import (
    DismissForm,
    ExplanationRequestForm,
    HandlingForm,
    add_errors,
    decision_form,
    errors_of,
    values_of,
)

bp = Blueprint("proposals", __name__, url_prefix="/notify")

KIND_ARGS = {"talk": ProposalKind.TALK, "circular": ProposalKind.CIRCULAR}
ARG_OF_KIND = {kind: arg for arg, kind in KIND_ARGS.items()}


def _today():
    return local_date(utcnow(), settings().timezone)


def _org_name() -> str:
    return settings().org_dept_name


def _int_arg(value, default: int | None = 1) -> int | None:
    return parse_int(value, default, minimum=1)


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
    within = access.proposal_condition(current_user)
    page = queries.list_proposals(db.session, kind=KIND_ARGS[kind_arg], state=state,
                                  page=_int_arg(request.args.get("page")), within=within)
    return render_template("proposals/list.html", page=page, kind_arg=kind_arg, kind=KIND_ARGS[kind_arg],
                           state=state, counts=queries.proposal_counts(db.session, within), today=_today(),
                           can_decide=current_user.role == Role.ORG_DEPT)


def _blank_forms(proposal: Proposal) -> dict:
    return {"decide": decision_form(proposal.kind, formdata=None), "dismiss": DismissForm(formdata=None),
            "request": ExplanationRequestForm(formdata=None)}


def _render_detail(proposal: Proposal, *, status: int = 200, **bound):
    """The proposal page; `bound` replaces the blank form of that name (with what was typed and its errors)."""
    dossier = build_dossier(db.session, proposal)
    handlings = db.session.scalars(select(OrgHandling).where(OrgHandling.proposal_id == proposal.id)
                                   .order_by(OrgHandling.id)).all()
    forms = {**_blank_forms(proposal), **bound}
    role = current_user.role
    return render_template(
        "proposals/detail.html", proposal=proposal, dossier=dossier, today=_today(),
        labels=decisions.decision_labels(proposal.kind),
        errors={name: errors_of(form) for name, form in forms.items()},
        form={name: values_of(form) for name, form in forms.items()},
        can_decide=role == Role.ORG_DEPT and proposal.is_pending,
        can_download=role in (Role.ORG_DEPT, Role.DISCIPLINE), is_org=role == Role.ORG_DEPT,
        handlings=handlings, kind_arg=ARG_OF_KIND[proposal.kind],
        requests=owner.requests_for_proposal(db.session, proposal),
    ), status


@bp.get("/proposals/<int:proposal_id>")
@roles_required(Role.ORG_DEPT, Role.DISCIPLINE)
def proposal(proposal_id: int):
    return _render_detail(_visible_proposal(proposal_id))


def _apply(proposal: Proposal, form_name: str, form, change, success: str):
    """Parse with the form, run the one service call, then commit and go back to the proposal, or show the
    page again (400) with every message beside its field; a refusal that is no field's is flashed."""
    if not form.validate_on_submit():
        return _render_detail(proposal, status=400, **{form_name: form})
    try:
        change()
    except decisions.ProposalFormError as exc:
        db.session.rollback()
        add_errors(form, exc.errors)
        return _render_detail(db.session.get(Proposal, proposal.id), status=400, **{form_name: form})
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
    form = decision_form(proposal.kind)
    return _apply(proposal, "decide", form, lambda: decisions.decide(
        db.session, proposal, actor=current_user, now=utcnow(), held_on=form.held_on.data,
        held_by=form.held_by.data, doc_number=form.doc_number.data, note=form.note.data,
        owner_notice=form.owner_notice.data), f"已记录{proposal.kind}决定")


@bp.post("/proposals/<int:proposal_id>/dismiss")
@roles_required(Role.ORG_DEPT)
def proposal_dismiss(proposal_id: int):
    proposal = _visible_proposal(proposal_id)
    form = DismissForm()
    return _apply(proposal, "dismiss", form, lambda: decisions.dismiss(
        db.session, proposal, actor=current_user, now=utcnow(), reason=form.reason.data),
        f"已驳回该{proposal.kind}建议")


@bp.post("/proposals/<int:proposal_id>/request-explanation")
@roles_required(Role.ORG_DEPT)
def proposal_request_explanation(proposal_id: int):
    """请责任人提交情况说明: the secretary is told the task(s) and the date, never the proposal."""
    proposal = _visible_proposal(proposal_id)
    form = ExplanationRequestForm()
    return _apply(proposal, "request", form, lambda: owner.request_explanation(
        db.session, proposal, actor=current_user, now=utcnow(), due_on=form.due_on.data,
        message=form.message.data), "已请责任人提交情况说明，通知已发出")


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
        select(Proposal).where(Proposal.kind == ProposalKind.CIRCULAR, Proposal.status == ProposalStatus.PENDING,
                               *([] if (within := access.proposal_condition(current_user)) is None else [within]))
        .options(joinedload(Proposal.unit), selectinload(Proposal.tasks).joinedload(ProposalTask.task))
        .order_by(Proposal.created_at)).all()
    if not pending:
        flash("目前没有待决定的通报建议，无需生成通报稿", "error")
        return redirect(url_for("proposals.proposals", kind="circular"))
    return _docx_response(docx_drafts.circular_docx(list(pending), _today(), _org_name()), "通报（草稿）.docx")


def _refuse_other_counties(form) -> None:
    """A unit, cadre or proposal of another county is as unknown as a missing one."""
    unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data is not None else None
    cadre = db.session.get(User, form.cadre_id.data) if form.cadre_id.data is not None else None
    proposal = db.session.get(Proposal, form.proposal_id.data) if form.proposal_id.data is not None else None
    if ((unit is not None and not access.can_view_unit(current_user, unit))
            or (cadre is not None and cadre.unit is not None and not access.can_view_unit(current_user, cadre.unit))
            or (proposal is not None and not can_view_proposal(current_user, proposal))):
        abort(404)


@bp.route("/org-handling", methods=["GET", "POST"])
@roles_required(Role.ORG_DEPT)
def org_handling():
    """组织处理: recorded here by a person, never proposed or created by the system."""
    status = 200
    if request.method == "POST":
        form = HandlingForm()
        if form.validate_on_submit():
            _refuse_other_counties(form)
            try:
                decisions.record_org_handling(
                    db.session, actor=current_user, now=utcnow(), unit_id=form.unit_id.data,
                    cadre_id=form.cadre_id.data, measure=form.measure.data or "",
                    doc_number=form.doc_number.data or "", decided_on=form.decided_on.data,
                    note=form.note.data or "", proposal_id=form.proposal_id.data)
            except decisions.ProposalFormError as exc:
                db.session.rollback()
                add_errors(form, exc.errors)
            else:
                db.session.commit()
                flash("组织处理记录已保存", "success")
                return redirect(url_for("proposals.org_handling"))
        status = 400
    else:
        form = HandlingForm(formdata=None, proposal_id=_int_arg(request.args.get("proposal"), None))
    linked = db.session.get(Proposal, form.proposal_id.data) if form.proposal_id.data is not None else None
    if linked is not None and not can_view_proposal(current_user, linked):
        abort(404)
    if linked is not None and form.unit_id.data is None:
        form.unit_id.data = linked.unit_id
    scope = access.unit_scope(current_user)
    units = dashboard.active_units(db.session, scope)
    cadres = db.session.scalars(select(User).where(User.role == Role.SECRETARY, User.unit_id.is_not(None),
                                                   *([] if scope is None else [User.unit_id.in_(scope)]))
                                .options(joinedload(User.unit)).order_by(User.unit_id, User.name)).all()
    return render_template("proposals/org_handling.html", form=values_of(form), errors=errors_of(form),
                           units=units, cadres=cadres, measures=ORG_HANDLING_MEASURES, linked=linked,
                           records=queries.org_handlings(db.session, units=scope)), status
