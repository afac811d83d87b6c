"""问题清单 from Excel: upload → columns → preview (bad rows by number) → confirm into a 巡察/审计/其他 review."""
import re

import pytest
from sqlalchemy import select

from tests.imports.builders import bomb, huge_dimension, problem_list, zip_of
from tests.web_org.test_imports import form_of, pending_files, submit, table_counts, token_of, upload
from tests.webhelpers import csrf_token, login, quick_user
from tracker.models import Review, Role, Task, Unit

MAPPING = {"sheet": "问题清单", "header_row": "3", "col-number": "1", "col-unit": "2", "col-problem": "3",
           "col-measures": "4", "col-deadline": "5", "col-owner": "6", "col-note": "7"}


def to_preview(client, data=None, filename="巡察反馈问题清单.xlsx"):
    token = token_of(upload(client, data or problem_list(), filename))
    html = client.get(f"/imports/{token}").get_data(as_text=True)
    assert 'id="mapping-form"' in html
    response = client.post(f"/imports/{token}", data={**MAPPING, "op": "map",
                                                       "csrf_token": csrf_token(client, "/imports/")})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return token, client.get(f"/imports/{token}").get_data(as_text=True)


def test_columns_are_guessed_from_the_header_on_row_three(org_client, db):
    token = token_of(upload(org_client, problem_list(), "清单.xlsx"))
    html = org_client.get(f"/imports/{token}").get_data(as_text=True)
    assert 'id="header_row" name="header_row" min="1" max="50" value="3"' in html
    for field, column in (("unit", "2"), ("problem", "3"), ("deadline", "5"), ("owner", "6")):
        select_html = re.search(rf'<select id="col-{field}".*?</select>', html, re.S).group(0)
        assert f'<option value="{column}" selected>' in select_html


def test_bad_row_shown_by_number_and_excluded_only_by_choice(org_client, db):
    before = table_counts(db)
    token, html = to_preview(org_client)
    assert table_counts(db) == before  # nothing written before confirm
    assert "识别到 2 个单位，共 3 个问题" in html
    assert "第6行" in html and "整改时限不是日期" in html and 'value="2099年13月40日"' in html
    assert '<option value="巡察" selected>' in html and 'value="县委第三巡察组巡察反馈问题整改清单"' in html
    response = submit(org_client, token, html, "confirm", held_on="2026-03-10")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "第6行：整改时限不是日期" in page and table_counts(db) == before
    response = submit(org_client, token, page, "confirm", held_on="2026-03-10", **{"bad0-exclude": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    db.session.expire_all()
    review = db.session.scalar(select(Review))
    assert (review.kind, review.title, review.held_on.isoformat()) == ("巡察", "县委第三巡察组巡察反馈问题整改清单",
                                                                       "2026-03-10")
    tasks = db.session.scalars(select(Task).order_by(Task.ledger_position)).all()
    assert [(t.unit.name, t.problem_text[:6]) for t in tasks] == [("青山镇", "党委会议事规"), ("青山镇", "党费收缴不及"),
                                                                 ("东湖街道", "网格员流失率")]
    assert tasks[0].measures == "修订议事规则" and tasks[0].responsible_person == "张三"
    assert tasks[0].deadline.isoformat() == "2099-05-31" and tasks[1].task_type == "长期坚持"
    assert pending_files(org_client.application) == []


def test_a_corrected_bad_row_joins_its_unit(org_client, db):
    token, html = to_preview(org_client)
    response = submit(org_client, token, html, "fixrow:0", **{"bad0-deadline": "不是日期"})
    assert response.status_code == 400 and "第6行：整改时限“不是日期”不是日期" in response.get_data(as_text=True)
    html = submit(org_client, token, html, "fixrow:0", **{"bad0-deadline": "2099-07-31"}).get_data(as_text=True)
    assert 'id="bad-rows"' not in html and "共 4 个问题" in html
    assert 'name="s2-p0-text" rows="3">驻村工作队在岗率偏低</textarea>' in html  # 绿水乡, a new section
    response = submit(org_client, token, html, "confirm", held_on="2026-03-10", review_kind="审计")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Review.kind)) == "审计"
    fixed = db.session.scalar(select(Task).where(Task.problem_text == "驻村工作队在岗率偏低"))
    assert fixed.deadline.isoformat() == "2099-07-31" and fixed.unit.name == "绿水乡"


def test_date_is_required_and_the_same_file_twice_is_recognised(org_client, db):
    token, html = to_preview(org_client, filename="第一次.xlsx")
    response = submit(org_client, token, html, "confirm", **{"bad0-exclude": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "请填写反馈日期" in page
    assert page.index('id="held_on-error"') > page.index('id="held_on"')
    assert submit(org_client, token, page, "confirm", held_on="2026-03-10",
                  **{"bad0-exclude": "1"}).status_code == 302
    after = table_counts(db)
    response = upload(org_client, problem_list(), "第二次.xlsx")
    assert response.status_code == 409 and "不会重复导入" in response.get_data(as_text=True)
    assert table_counts(db) == after


def test_existing_unit_by_name_and_its_secretary(org_client, db):
    from tracker.models import User

    unit = Unit(name="东湖街道", kind="街道")
    db.session.add(unit)
    db.session.commit()
    secretary = User(name="赵书记", role=Role.SECRETARY, unit_id=unit.id)
    db.session.add(secretary)
    db.session.commit()
    token, html = to_preview(org_client)
    section = html[html.index('id="section-1"'):]
    assert f'<option value="{unit.id}" selected>东湖街道' in section and "现任书记：赵书记" in section
    response = submit(org_client, token, html, "confirm", held_on="2026-03-10", **{"bad0-exclude": "1"})
    assert response.status_code == 400 and "与该单位现任书记“赵书记”不同" in response.get_data(as_text=True)
    response = submit(org_client, token, html, "confirm", held_on="2026-03-10",
                      **{"bad0-exclude": "1", "s1-owner": "current"})
    assert response.status_code == 302
    db.session.expire_all()
    task = db.session.scalar(select(Task).where(Task.unit_id == unit.id))
    assert task.owner_id == secretary.id and task.responsible_person == "王五"


def test_remap_and_a_mapping_without_required_columns(org_client, db):
    token, html = to_preview(org_client)
    response = submit(org_client, token, html, "remap")
    assert 'id="mapping-form"' in response.get_data(as_text=True)
    response = org_client.post(f"/imports/{token}", data={**MAPPING, "col-problem": "", "op": "map",
                                                          "csrf_token": csrf_token(org_client, "/imports/")})
    assert response.status_code == 400 and "请指定“问题描述”所在的列" in response.get_data(as_text=True)
    response = org_client.post(f"/imports/{token}", data={**MAPPING, "header_row": "x", "op": "map",
                                                          "csrf_token": csrf_token(org_client, "/imports/")})
    assert response.status_code == 400 and "表头行号应是一个数字" in response.get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old xls", "不是有效的 .xlsx 文件"),
    (zip_of({"word/document.xml": b"<w/>"}), "没有工作簿"),
    (bomb(), "压缩炸弹"),
    (huge_dimension(), "工作表过大"),
    (problem_list([], title_rows=()), "之下没有任何问题"),
])
def test_bad_workbooks_are_refused_beside_the_field(org_client, db, app, data, message):
    before = table_counts(db)
    response = upload(org_client, data, "清单.xlsx")
    html = response.get_data(as_text=True)
    if message == "之下没有任何问题":  # readable, but empty: the mapping step says so
        token = token_of(response)
        response = org_client.post(f"/imports/{token}", data={**MAPPING, "header_row": "1", "op": "map",
                                                              "csrf_token": csrf_token(org_client, "/imports/")})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
        return
    assert response.status_code == 400 and message in html
    assert html.index('id="document-error"') > html.index('id="document"')
    assert table_counts(db) == before and pending_files(app) == []


def test_old_xls_is_refused_with_what_to_do(org_client, db, app):
    response = upload(org_client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old xls", "清单.xls")
    assert response.status_code == 400 and "另存为” .xlsx" in response.get_data(as_text=True)
    assert pending_files(app) == []


def test_another_users_pending_workbook_answers_404(org_client, app, db):
    token = token_of(upload(org_client, problem_list(), "清单.xlsx"))
    quick_user(db.session, Role.ORG_DEPT, username="zzb2", name="另一位")
    db.session.commit()
    other = app.test_client()
    login(other, "zzb2")
    assert other.get(f"/imports/{token}").status_code == 404
    assert other.post(f"/imports/{token}", data={**MAPPING, "op": "map",
                                                 "csrf_token": csrf_token(other, "/imports/")}).status_code == 404
    assert org_client.get(f"/imports/{token}").status_code == 200


def test_form_helper_sees_the_bad_row_marker(org_client, db):
    token, html = to_preview(org_client)
    assert form_of(html)["bad0-shown"] == "1" and "bad0-exclude" not in form_of(html)
