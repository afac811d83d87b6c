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

from tracker.models import TaskType, UnitKind
from tracker.services.errors import DomainError
from tracker.timeutil import cn_date

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
STALE_SECONDS = 2 * 24 * 3600
NEW_UNIT = "new"
OVERALL = "o"
# Where a problem may be cut: sentence ends first, else clause breaks.
_SPLIT_MARKS = ("。；;！!？?", "，,、")


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
    return {"text": text, "task_type": task_type, "deadline": deadline.isoformat() if deadline else ""}


def initial_state(parsed, *, units_by_name: dict[str, int], held_on: date, default_type: str,
                  default_deadline: date) -> dict:
    """The preview as first shown: each section mapped to the same-named unit if one exists."""
    from tracker.services.importer import is_anonymised

    deadline = None if default_type == TaskType.ONGOING else default_deadline
    sections = []
    for unit in parsed.units:
        known = None if is_anonymised(unit.unit) else units_by_name.get(unit.unit)
        sections.append({
            "unit_name": unit.unit, "unit_kind": unit.unit_kind, "mapping": str(known) if known else NEW_UNIT,
            "secretary": unit.secretary, "secretary_title": unit.secretary_title, "strengths": unit.strengths,
            "expectations": unit.expectations, "comment": unit.comment, "heading": unit.heading,
            "problems": [_problem(p.text, default_type, deadline) for p in unit.problems],
        })
    return {
        "title": parsed.title or f"{held_on.year}年度党组织书记抓基层党建工作述职评议会议",
        "held_on": held_on.isoformat(), "default_type": default_type,
        "default_deadline": default_deadline.isoformat(), "sections": sections,
        "overall": [_problem(p.text, default_type, deadline) for p in parsed.overall_problems],
        "warnings": list(getattr(parsed, "warnings", []) or []),
    }


def problem_lists(state: dict) -> list[tuple[str, list[dict]]]:
    """(section key, problems): "0", "1", … for the units, "o" for the county-wide problems."""
    return [(str(i), s["problems"]) for i, s in enumerate(state["sections"])] + [(OVERALL, state["overall"])]


def update_from_form(state: dict, form) -> None:
    """Copies the submitted fields into the state; fields missing from the form keep their value."""
    for key in ("title", "held_on", "default_type", "default_deadline"):
        if key in form:
            state[key] = form.get(key, "").strip()
    for index, section in enumerate(state["sections"]):
        for key, field in (("mapping", "unit"), ("unit_name", "name"), ("secretary", "secretary")):
            name = f"s{index}-{field}"
            if name in form:
                section[key] = form.get(name, "").strip()
    for key, problems in problem_lists(state):
        for p_index, problem in enumerate(problems):
            prefix = f"s{key}-p{p_index}-"
            if prefix + "text" in form:
                problem["text"] = form.get(prefix + "text", "").strip()
            if prefix + "type" in form:
                problem["task_type"] = form.get(prefix + "type", "")
            if prefix + "deadline" in form:
                problem["deadline"] = form.get(prefix + "deadline", "").strip()


def _locate(state: dict, ref: str) -> tuple[list[dict], int]:
    match = re.fullmatch(r"s(\d+|o)-p(\d+)", ref or "")
    if not match:
        raise DomainError("无法识别要操作的问题")
    problems = dict(problem_lists(state)).get(match.group(1))
    index = int(match.group(2))
    if problems is None or index >= len(problems):
        raise DomainError("要操作的问题不存在，请刷新预览")
    return problems, index


def split_problem(state: dict, ref: str) -> None:
    """Splits a problem at the line break the user typed, else at the sentence (or clause) end nearest its middle."""
    problems, index = _locate(state, ref)
    text = problems[index]["text"].strip()
    if "\n" in text:
        cut = text.index("\n")
    else:
        marks = []
        for kind in _SPLIT_MARKS:
            marks = marks or [i + 1 for i, ch in enumerate(text[:-1]) if ch in kind]
        if not marks:
            raise DomainError("这条问题只有一句话，无法拆分：请在要拆分的位置换行后再点“拆分”")
        cut = min(marks, key=lambda i: abs(i - len(text) / 2))
    first, second = text[:cut].strip(), text[cut:].strip()
    if not first or not second:
        raise DomainError("拆分后两部分都不能为空")
    problems[index] = {**problems[index], "text": first}
    problems.insert(index + 1, {**problems[index], "text": second})


def merge_with_previous(state: dict, ref: str) -> None:
    problems, index = _locate(state, ref)
    if index == 0:
        raise DomainError("第一条问题之前没有可合并的问题")
    previous = problems[index - 1]
    previous["text"] = previous["text"].rstrip() + problems[index]["text"].lstrip()
    del problems[index]


def apply_defaults(state: dict) -> None:
    task_type = state.get("default_type") or TaskType.TIME_LIMITED
    deadline = "" if task_type == TaskType.ONGOING else state.get("default_deadline", "")
    for _, problems in problem_lists(state):
        for problem in problems:
            problem["task_type"], problem["deadline"] = task_type, deadline


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def validate(state: dict, *, today: date, unit_ids: set[int]) -> dict[str, str]:
    """Field name → message, for every field that would make the import fail."""
    errors: dict[str, str] = {}
    if not state.get("title", "").strip():
        errors["title"] = "请填写会议名称"
    held_on = _parse_date(state.get("held_on", ""))
    if held_on is None:
        errors["held_on"] = "请填写会议日期（年-月-日）"
    elif held_on > today:
        errors["held_on"] = "会议日期不能晚于今天"
    for index, section in enumerate(state["sections"]):
        mapping = section.get("mapping", NEW_UNIT)
        if mapping == NEW_UNIT:
            if not section.get("unit_name", "").strip():
                errors[f"s{index}-name"] = "请填写新建单位的名称"
        elif not mapping.isdigit() or int(mapping) not in unit_ids:
            errors[f"s{index}-unit"] = "请选择一个责任单位"
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
    if not state["sections"] and not state["overall"]:
        errors["document"] = "文档中没有可导入的点评或问题"
    return errors


def to_plan(state: dict, *, text: str, filename: str):
    """The ImportPlan for importer.apply_plan; call validate() first."""
    from tracker.services.importer import ImportPlan, PlannedProblem, PlannedUnit, content_hash

    def problems(items):
        return [PlannedProblem(text=p["text"].strip(), task_type=p["task_type"],
                               deadline=None if p["task_type"] == TaskType.ONGOING else _parse_date(p["deadline"]))
                for p in items]

    units = []
    for section in state["sections"]:
        mapping = section.get("mapping", NEW_UNIT)
        kind = section.get("unit_kind") if section.get("unit_kind") in set(UnitKind) else UnitKind.OTHER
        units.append(PlannedUnit(
            unit_name=section.get("unit_name", "").strip(), unit_kind=kind,
            secretary=section.get("secretary", ""), secretary_title=section.get("secretary_title", ""),
            strengths=section.get("strengths", ""), expectations=section.get("expectations", ""),
            comment=section.get("comment", ""), heading=section.get("heading", ""),
            existing_unit_id=int(mapping) if mapping.isdigit() else None, problems=problems(section["problems"]),
        ))
    return ImportPlan(title=state["title"].strip(), held_on=date.fromisoformat(state["held_on"]),
                      source_filename=filename, content_hash=content_hash(text), units=units,
                      overall_problems=problems(state["overall"]))
