"""The secretary's forms: 整改措施, 整改进展 with 佐证材料, 延期申请, 申请销号 — each commits once or writes nothing."""
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from tests.webhelpers import client_as, office_file, post_form, tiny_png
from tracker.models import AuditEvent, Evidence, ExtensionRequest, ProgressUpdate, TaskStatus, UpdateKind


def _count(db, model, **where):
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def _files_on_disk(app):
    directory = Path(app.config["UPLOAD_DIR"])
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@pytest.fixture
def commits(db):
    """Counts COMMITs on the engine: each POST must commit exactly once."""
    seen = []
    listener = lambda conn: seen.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    yield seen
    event.remove(db.engine, "commit", listener)


def test_submit_plan_starts_the_task_with_one_commit(app, db, world, commits):
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    token_page = client.get(url)
    from tests.webhelpers import extract_csrf

    token = extract_csrf(token_page.get_data(as_text=True))
    commits.clear()
    response = client.post(f"{url}/plan", data={"csrf_token": token, "measures": "建立台账，逐项整改",
                                                "responsible_person": "王副镇长"})
    assert response.status_code == 302 and len(commits) == 1
    db.session.refresh(world.task_a)
    assert world.task_a.measures == "建立台账，逐项整改" and world.task_a.responsible_person == "王副镇长"
    assert world.task_a.status == TaskStatus.IN_PROGRESS
    assert _count(db, ProgressUpdate, task_id=world.task_a.id, kind=UpdateKind.PLAN) == 1
    assert _count(db, AuditEvent, task_id=world.task_a.id, field="status") == 1
    assert "整改措施已提交" in client.get(url).get_data(as_text=True)


def test_missing_fields_are_reported_beside_the_field_and_nothing_is_written(app, db, world):
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    updates_before = _count(db, ProgressUpdate)
    for action, data, message in (
        ("plan", {"measures": "  "}, "请填写整改措施"),
        ("updates", {"body": ""}, "请填写整改进展内容"),
        ("extension", {"new_deadline": "", "reason": ""}, "请填写延期理由"),
        ("extension", {"new_deadline": "明天", "reason": "理由"}, "日期格式不正确"),
        ("closure", {"summary": ""}, "请填写整改完成情况"),
    ):
        response = post_form(client, f"{url}/{action}", data, form_url=url)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and message in html, action
        field = html[:html.index(message)].rsplit('class="field', 1)[1]
        assert "has-error" in field  # the message sits in the field's own block
    db.session.refresh(world.task_a)
    assert world.task_a.status == TaskStatus.PENDING
    assert _count(db, ProgressUpdate) == updates_before and _count(db, ExtensionRequest) == 0


def test_progress_update_with_evidence_files(app, db, world):
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    files = [(BytesIO(tiny_png()), "现场照片.png"), (BytesIO(b"%PDF-1.4\n%test\n"), "会议纪要.pdf"),
             (BytesIO(b"\xff\xd8\xff\xe0" + b"0" * 20), "photo.JPG"),
             (BytesIO(office_file("word/document.xml")), "方案.docx"),
             (BytesIO(office_file("xl/workbook.xml")), "台账.xlsx")]
    response = post_form(client, f"{url}/updates", {"body": "已完成整改 50%", "files": files}, form_url=url,
                         content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    update = db.session.scalar(select(ProgressUpdate).where(ProgressUpdate.body == "已完成整改 50%"))
    rows = db.session.scalars(select(Evidence).where(Evidence.update_id == update.id).order_by(Evidence.id)).all()
    assert [r.original_name for r in rows] == ["现场照片.png", "会议纪要.pdf", "photo.JPG", "方案.docx", "台账.xlsx"]
    for row in rows:
        assert row.stored_name != row.original_name and len(row.stored_name) >= 32
        assert (Path(app.config["UPLOAD_DIR"]) / row.stored_name).is_file()
        assert "static" not in app.config["UPLOAD_DIR"]
    assert _count(db, AuditEvent, action="upload_evidence") == 5
    with client.get(f"/evidence/{rows[0].id}") as download:
        assert download.status_code == 200 and download.data == tiny_png()
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        disposition = download.headers["Content-Disposition"]
        assert disposition.startswith("attachment") and "%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.png" in disposition


@pytest.mark.parametrize("name,content,message", [
    ("病毒.exe", b"MZ\x90\x00", "文件类型不支持"),
    ("伪装.pdf", b"MZ\x90\x00 not a pdf", "内容与扩展名.pdf不符"),
    ("伪装.png", b"%PDF-1.4", "内容与扩展名.png不符"),
    ("伪装.jpg", tiny_png(), "内容与扩展名.jpg不符"),
    ("伪装.docx", office_file("xl/workbook.xml"), "内容与扩展名.docx不符"),
    ("伪装.xlsx", office_file("word/document.xml"), "内容与扩展名.xlsx不符"),
    ("坏.docx", b"PK\x03\x04broken", "内容与扩展名.docx不符"),
    ("空.pdf", b"", "空文件"),
    ("太大.pdf", b"%PDF-" + b"0" * (200 * 1024), "超过大小上限 200 KB"),
])
def test_bad_files_get_a_message_and_nothing_is_stored(app, db, world, name, content, message):
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    disk_before = _files_on_disk(app)
    rows_before = (_count(db, Evidence), _count(db, ProgressUpdate), _count(db, AuditEvent))
    files = [(BytesIO(tiny_png()), "好文件.png"), (BytesIO(content), name)]
    response = post_form(client, f"{url}/updates", {"body": "带坏文件的进展", "files": files}, form_url=url,
                         content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    files_block = html[html.index('name="files"'):]
    assert message in files_block[:files_block.index("</div>", files_block.index(message)) + 6]
    assert (_count(db, Evidence), _count(db, ProgressUpdate), _count(db, AuditEvent)) == rows_before
    assert _files_on_disk(app) == disk_before
    db.session.refresh(world.task_a)
    assert world.task_a.status == TaskStatus.PENDING


def test_whole_request_over_the_limit_gets_a_chinese_413_page(app, db, world):
    app.config["MAX_CONTENT_LENGTH"] = 50 * 1024
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    files = [(BytesIO(b"%PDF-" + b"0" * (60 * 1024)), "大.pdf")]
    response = post_form(client, f"{url}/updates", {"body": "太大", "files": files}, form_url=url,
                         content_type="multipart/form-data")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "上传内容过大" in html and "50 KB" in html and "未保存任何内容" in html
    assert _count(db, ProgressUpdate, body="太大") == 0 and _count(db, Evidence, task_id=world.task_a.id) == 1


def test_extension_request_and_domain_error_rolls_back(app, db, world):
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    too_early = world.task_a.deadline - timedelta(days=1)
    response = post_form(client, f"{url}/extension", {"new_deadline": too_early.isoformat(), "reason": "来不及"},
                         form_url=url)
    assert response.status_code == 400 and "延期后的时限须晚于现在的整改时限" in response.get_data(as_text=True)
    assert _count(db, ExtensionRequest) == 0
    later = world.task_a.deadline + timedelta(days=15)
    response = post_form(client, f"{url}/extension", {"new_deadline": later.isoformat(), "reason": "汛期施工受阻"},
                         form_url=url)
    assert response.status_code == 302
    request_row = db.session.scalar(select(ExtensionRequest))
    assert request_row.requested_deadline == later and request_row.reason == "汛期施工受阻"
    db.session.refresh(world.task_a)
    assert world.task_a.deadline == later - timedelta(days=15)  # unchanged until the org dept approves


def test_closure_request_with_evidence_moves_to_awaiting_verification(app, db, world):
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    files = [(BytesIO(b"%PDF-1.7 done"), "整改报告.pdf")]
    response = post_form(client, f"{url}/closure", {"summary": "问题已全部整改到位", "closure_files": files,
                                                   "confirm_empty": "y"},
                         form_url=url, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(world.task_a)
    assert world.task_a.status == TaskStatus.AWAITING_VERIFICATION
    update = db.session.scalar(select(ProgressUpdate).where(ProgressUpdate.kind == UpdateKind.CLOSURE_REQUEST))
    assert update.body == "问题已全部整改到位" and [e.original_name for e in update.evidence] == ["整改报告.pdf"]
    html = client.get(url).get_data(as_text=True)
    assert "待销号审核" in html and 'id="closure"' not in html  # no second request while awaiting
    again = post_form(client, f"{url}/closure", {"summary": "再次申请"}, form_url=url)
    assert again.status_code == 400 and "不能申请销号" in again.get_data(as_text=True)
    assert _count(db, ProgressUpdate, kind=UpdateKind.CLOSURE_REQUEST) == 1


def test_closed_task_has_no_forms_and_refuses_posts(app, db, world):
    world.task_a.status = TaskStatus.CLOSED
    db.session.commit()
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    html = client.get(url).get_data(as_text=True)
    assert "提交整改措施" not in html and "已销号" in html
    response = post_form(client, f"{url}/updates", {"body": "补充"}, form_url=url)
    assert response.status_code == 400 and "任务已销号" in response.get_data(as_text=True)


def test_closure_without_measures_or_evidence_asks_for_confirmation_first(app, db, world):
    from sqlalchemy import delete

    from tracker.models import Evidence

    db.session.execute(delete(Evidence).where(Evidence.task_id == world.task_a.id))
    db.session.commit()
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    response = post_form(client, f"{url}/closure", {"summary": "已整改"}, form_url=url)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "尚未提交整改措施、没有佐证材料" in html and 'name="confirm_empty"' in html
    db.session.refresh(world.task_a)
    assert world.task_a.status != TaskStatus.AWAITING_VERIFICATION
    assert _count(db, ProgressUpdate, kind=UpdateKind.CLOSURE_REQUEST) == 0
    confirmed = post_form(client, f"{url}/closure", {"summary": "已整改", "confirm_empty": "y"}, form_url=url)
    assert confirmed.status_code == 302
    db.session.refresh(world.task_a)
    assert world.task_a.status == TaskStatus.AWAITING_VERIFICATION
    # The organization department is told, beside its 审核销号 buttons.
    org = client_as(app, world, "org")
    page = org.get(f"/org/tasks/{world.task_a.id}").get_data(as_text=True)
    assert 'id="no-evidence"' in page and "无佐证材料" in page
    assert page.index('id="closure-summary"') < page.index('id="verify-form"')
