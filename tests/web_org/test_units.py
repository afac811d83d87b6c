"""Renaming and merging units flagged by an import: audited, one transaction, bad input changes nothing."""
from sqlalchemy import func, select

from tests.factories import make_task, make_unit
from tests.web_org.conftest import today
from tests.webhelpers import login, post_form, quick_user
from tracker.models import AuditEvent, Comment, Role, Task, Unit, User


def flagged(db, name="XX镇"):
    unit = make_unit(db.session, name)
    unit.needs_rename = True
    return unit


def audit_count(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_units_page_lists_flagged_first(client, db, world):
    flagged(db)
    db.session.commit()
    login(client, "zzb")
    html = client.get("/org/units").get_data(as_text=True)
    assert "待更名" in html and html.index("XX镇") < html.index("青山镇")


def test_rename_clears_the_flag(client, db, world):
    unit = flagged(db)
    db.session.commit()
    login(client, "admin")
    response = post_form(client, f"/org/units/{unit.id}/rename", {"name": "东风镇"}, form_url="/org/units")
    assert response.status_code == 302
    db.session.expire_all()
    renamed = db.session.get(Unit, unit.id)
    assert renamed.name == "东风镇" and renamed.needs_rename is False
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "unit",
                                                         AuditEvent.entity_id == unit.id)).all()
    assert {(e.field, e.before, e.after) for e in events} >= {("name", "XX镇", "东风镇")}


def test_rename_refusals(client, db, world):
    unit = flagged(db)
    db.session.commit()
    login(client, "zzb")
    before = audit_count(db)
    for name, message in (("", "请填写新的单位名称"), ("XX乡", "仍是匿名化名称"), ("青山镇", "已有名为“青山镇”的单位"),
                          ("镇" * 101, "不能超过100个字")):
        response = post_form(client, f"/org/units/{unit.id}/rename", {"name": name}, form_url="/org/units")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert audit_count(db) == before
    assert db.session.get(Unit, unit.id).name == "XX镇"


def test_merge_moves_tasks_comments_and_users(client, db, world):
    unit = flagged(db)
    secretary = quick_user(db.session, Role.SECRETARY, unit, username="sec-x", name="某书记")
    moved = make_task(db.session, unit, secretary, world.review, deadline=today(), text="匿名单位的问题")
    db.session.commit()
    login(client, "zzb")
    response = post_form(client, f"/org/units/{unit.id}/merge", {"target_id": str(world.unit_a.id)},
                         form_url="/org/units")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, moved.id).unit_id == world.unit_a.id
    assert db.session.get(User, secretary.id).unit_id == world.unit_a.id
    assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.unit_id == unit.id)) == 0
    source = db.session.get(Unit, unit.id)
    assert source.merged_into_id == world.unit_a.id and source.needs_rename is False
    task_events = db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == moved.id,
                                                              AuditEvent.action == "merge_unit")).all()
    assert [(e.field, e.before, e.after) for e in task_events] == [("unit_id", str(unit.id), str(world.unit_a.id))]
    # the merged unit is offered no more actions, and a second merge is refused
    response = post_form(client, f"/org/units/{unit.id}/merge", {"target_id": str(world.unit_b.id)},
                         form_url="/org/units")
    assert response.status_code == 400 and "已并入其他单位" in response.get_data(as_text=True)


def test_merge_refusals_change_nothing(client, db, world):
    unit = flagged(db)
    db.session.commit()
    login(client, "zzb")
    before = audit_count(db)
    for target, message in ((str(unit.id), "不能把单位并入它自己"), ("", "请选择要并入的单位"), ("99999", "请选择要并入的单位")):
        response = post_form(client, f"/org/units/{unit.id}/merge", {"target_id": target}, form_url="/org/units")
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert audit_count(db) == before
    assert client.post("/org/units/99999/rename").status_code in (400, 404)
