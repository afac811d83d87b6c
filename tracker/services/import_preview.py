"""Between upload and confirm: the pending document and the user's edits of its preview.

The uploaded bytes and the edited preview live in UPLOAD_DIR/pending/<token>.{bin,json}, tagged with the
uploader's id; nothing reaches the domain tables until confirm turns the preview into an ImportPlan.
"""
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tracker.models import ReviewKind, TaskType, UnitKind
from tracker.services.import_actions import (NEW_UNIT, OVERALL, find_meeting_date, new_problem, owner_error,
                                             problem_lists, refresh_owner)
from tracker.services.importer import OWNER_CURRENT, OWNER_NEW, OWNER_NONE
from tracker.timeutil import cn_date

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
STALE_SECONDS = 2 * 24 * 3600
__all__ = ["NEW_UNIT", "OVERALL", "PendingUpload", "problem_lists"]


@dataclass
class PendingUpload:
    token: str
    user_id: int
    filename: str
    state: dict


def _dir(upload_dir: str) -> Path:
    path = Path(upload_dir) / "pending"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(upload_dir: str, token: str) -> tuple[Path, Path]:
    base = _dir(upload_dir)
    return base / f"{token}.bin", base / f"{token}.json"


def store(upload_dir: str, *, user_id: int, filename: str, data: bytes, state: dict) -> PendingUpload:
    purge_stale(upload_dir)
    token = secrets.token_urlsafe(24)
    data_path, _ = _paths(upload_dir, token)
    data_path.write_bytes(data)
    pending = PendingUpload(token=token, user_id=user_id, filename=filename, state=state)
    save(upload_dir, pending)
    return pending


def save(upload_dir: str, pending: PendingUpload) -> None:
    _, meta_path = _paths(upload_dir, pending.token)
    meta = {"user_id": pending.user_id, "filename": pending.filename, "state": pending.state}
    tmp = meta_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    tmp.replace(meta_path)


def load(upload_dir: str, token: str, *, user_id: int) -> PendingUpload | None:
    """The pending upload, only for the user who uploaded it; None otherwise."""
    if not TOKEN_RE.match(token or ""):
        return None
    data_path, meta_path = _paths(upload_dir, token)
    if not meta_path.exists() or not data_path.exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("user_id") != user_id:
        return None
    return PendingUpload(token=token, user_id=user_id, filename=meta["filename"], state=meta["state"])


def read_bytes(upload_dir: str, pending: PendingUpload) -> bytes:
    return _paths(upload_dir, pending.token)[0].read_bytes()


def discard(upload_dir: str, token: str) -> None:
    if TOKEN_RE.match(token or ""):
        for path in _paths(upload_dir, token):
            path.unlink(missing_ok=True)


def purge_stale(upload_dir: str, max_age: int = STALE_SECONDS) -> None:
    cutoff = time.time() - max_age
    for path in _dir(upload_dir).iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


# --- the preview state ---------------------------------------------------------------------------

def _problem(text: str, task_type: str, deadline: date | None) -> dict:
    return new_problem(text, task_type, deadline.isoformat() if deadline else "")


def initial_state(parsed, *, units_by_name: dict[str, int], secretaries: dict[int, tuple[int, str]], today: date,
                  lines: list[str], default_type: str, default_deadline: date) -> dict:
    """The preview as first shown: each section mapped to the same-named unit if one exists, the meeting date
    read from the first lines when they hold one (never today by default)."""
    from tracker.services.importer import is_anonymised

    deadline = None if default_type == TaskType.ONGOING else default_deadline
    sections = []
    for unit in parsed.units:
        known = None if is_anonymised(unit.unit) else units_by_name.get(unit.unit)
        section = {
            "unit_name": unit.unit, "unit_kind": unit.unit_kind, "mapping": str(known) if known else NEW_UNIT,
            "secretary": unit.secretary, "secretary_title": unit.secretary_title, "strengths": unit.strengths,
            "expectations": unit.expectations, "comment": unit.comment, "heading": unit.heading,
            "problems": [_problem(p.text, default_type, deadline) for p in unit.problems],
            "warnings": [dict(w) for w in getattr(unit, "warnings", []) or []],
            "source": [dict(p) for p in getattr(unit, "source_paragraphs", []) or []],
        }
        refresh_owner(section, secretaries)
        sections.append(section)
    year = getattr(parsed, "year", None)
    held_on = find_meeting_date([parsed.title or ""] + lines, today=today)
    title = parsed.title or (f"{year}年度党组织书记抓基层党建工作述职评议会议" if year else "党组织书记抓基层党建工作述职评议会议")
    return {
        "source_kind": "transcript", "stage": "preview", "review_kind": ReviewKind.APPRAISAL,
        "title": title, "held_on": held_on.isoformat() if held_on else "",
        "held_on_note": (f"会议日期取自文档：{cn_date(held_on)}" if held_on else
                         f"文档写明是{year}年度，但没有写会议日期，请填写" if year else "文档中没有会议日期，请填写"),
        "default_type": default_type, "default_deadline": default_deadline.isoformat(), "sections": sections,
        "overall": [_problem(p.text, default_type, deadline) for p in parsed.overall_problems],
        "warnings": list(getattr(parsed, "warnings", []) or []),
        "unplaced": [dict(p) for p in getattr(parsed, "unplaced", []) or []], "assigned": {}, "bad_rows": [],
    }


def update_from_form(state: dict, form, *, secretaries: dict[int, tuple[int, str]]) -> None:
    """Copies the submitted fields into the state; fields missing from the form keep their value. A section
    whose unit or secretary changed gets its owner chosen again by the rule (refresh_owner)."""
    for key in ("title", "held_on", "default_type", "default_deadline", "review_kind"):
        if key in form:
            state[key] = form.get(key, "").strip()
    for index, section in enumerate(state["sections"]):
        before = (section.get("mapping"), section.get("secretary"))
        for key, field in (("mapping", "unit"), ("unit_name", "name"), ("secretary", "secretary")):
            name = f"s{index}-{field}"
            if name in form:
                section[key] = form.get(name, "").strip()
        if (section.get("mapping"), section.get("secretary")) != before:
            refresh_owner(section, secretaries)
        elif f"s{index}-owner" in form:
            section["owner"] = form.get(f"s{index}-owner", "")
    for key, problems in problem_lists(state):
        for p_index, problem in enumerate(problems):
            prefix = f"s{key}-p{p_index}-"
            for attr, field in (("text", "text"), ("task_type", "type"), ("deadline", "deadline")):
                if prefix + field in form:
                    problem[attr] = form.get(prefix + field, "").strip() if attr != "task_type" else form.get(prefix + field, "")
    for number, bad in enumerate(state.get("bad_rows", [])):
        prefix = f"bad{number}-"
        if prefix + "shown" in form:
            bad["excluded"] = prefix + "exclude" in form
        for attr in ("unit", "problem", "deadline"):
            if prefix + attr in form:
                bad[attr] = form.get(prefix + attr, "").strip()


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def validate(state: dict, *, today: date, unit_ids: set[int]) -> dict[str, str]:
    """Field name → message, for every field that would make the import fail."""
    errors: dict[str, str] = {}
    if not state.get("title", "").strip():
        errors["title"] = "请填写会议名称" if state.get("source_kind") != "workbook" else "请填写问题清单名称"
    if state.get("review_kind", ReviewKind.APPRAISAL) not in ReviewKind.ALL:
        errors["review_kind"] = "请选择类别：巡察、审计或其他"
    held_on = _parse_date(state.get("held_on", ""))
    if held_on is None:
        label = "反馈日期" if state.get("source_kind") == "workbook" else "会议日期"
        errors["held_on"] = f"请填写{label}（年-月-日）：文档中没有找到，不会默认为今天"
    elif held_on > today:
        errors["held_on"] = "日期不能晚于今天"
    for index, section in enumerate(state["sections"]):
        mapping = section.get("mapping", NEW_UNIT)
        if mapping == NEW_UNIT:
            if not section.get("unit_name", "").strip():
                errors[f"s{index}-name"] = "请填写新建单位的名称"
        elif not mapping.isdigit() or int(mapping) not in unit_ids:
            errors[f"s{index}-unit"] = "请选择一个责任单位"
        message = owner_error(section)
        if message:
            errors[f"s{index}-owner"] = message
    for key, problems in problem_lists(state):
        for p_index, problem in enumerate(problems):
            prefix = f"s{key}-p{p_index}-"
            if not problem["text"].strip():
                errors[prefix + "text"] = "问题描述不能为空"
            if problem["task_type"] not in set(TaskType):
                errors[prefix + "type"] = "请选择整改类型"
            elif problem["task_type"] != TaskType.ONGOING:
                deadline = _parse_date(problem["deadline"])
                if deadline is None:
                    errors[prefix + "deadline"] = "请填写整改时限"
                elif deadline < today:
                    errors[prefix + "deadline"] = f"整改时限{cn_date(deadline)}早于今天"
    for number, bad in enumerate(state.get("bad_rows", [])):
        if not bad.get("excluded"):
            errors[f"bad{number}"] = (f"第{bad['row']}行：{bad['reason']}。请改正后点“改正并加入”，"
                                      "或勾选“不导入此行”")
    if not any(problems for _, problems in problem_lists(state)):
        errors["document"] = "没有可导入的问题"
    return errors


def to_plan(state: dict, *, content_hash: str, filename: str):
    """The ImportPlan for importer.apply_plan; call validate() first."""
    from tracker.services.importer import ImportPlan, PlannedProblem, PlannedUnit

    def problems(items):
        return [PlannedProblem(text=p["text"].strip(), task_type=p["task_type"],
                               deadline=None if p["task_type"] == TaskType.ONGOING else _parse_date(p["deadline"]),
                               measures=p.get("measures", ""), responsible_person=p.get("person", ""))
                for p in items]

    units = []
    for section in state["sections"]:
        mapping = section.get("mapping", NEW_UNIT)
        kind = section.get("unit_kind") if section.get("unit_kind") in set(UnitKind) else UnitKind.OTHER
        owner = section.get("owner") if section.get("owner") in (OWNER_CURRENT, OWNER_NEW, OWNER_NONE) else OWNER_NONE
        units.append(PlannedUnit(
            unit_name=section.get("unit_name", "").strip(), unit_kind=kind,
            secretary=section.get("secretary", ""), secretary_title=section.get("secretary_title", ""),
            strengths=section.get("strengths", ""), expectations=section.get("expectations", ""),
            comment=section.get("comment", ""), heading=section.get("heading", ""),
            existing_unit_id=int(mapping) if mapping.isdigit() else None, problems=problems(section["problems"]),
            owner=owner, owner_id=section.get("current_id") if owner == OWNER_CURRENT else None,
        ))
    return ImportPlan(title=state["title"].strip(), held_on=date.fromisoformat(state["held_on"]),
                      source_filename=filename, content_hash=content_hash, units=units,
                      overall_problems=problems(state["overall"]),
                      kind=state.get("review_kind") or ReviewKind.APPRAISAL)
