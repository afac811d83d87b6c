"""操作日志: readable, filtered, paged; the organization department and admins only."""
from tests.web_org.conftest import login_role
from tracker.models.types import utcnow
from tracker.services import tasks as task_service
from tracker.services import units


def test_the_log_reads_names_and_labels_and_filters(app, db, client, world):
    org, deputy = world.users["org_dept"], world.users["deputy"]
    task_service.set_owner(db.session, world.overdue, deputy, actor=org, now=utcnow(), reason="工作调整")
    units.rename_unit(db.session, world.unit_b, "绿水乡", actor=org, now=utcnow())
    db.session.commit()
    login_role(client, world, "org_dept")
    html = client.get("/audit/").get_data(as_text=True)
    table = html[html.index('id="audit-table"'):]
    assert "责任人：张书记 → 孙书记" in table and "工作调整" in table and "王组织" in table
    assert "责任单位更名" in table
    only_units = client.get(f"/audit/?kind=unit&unit={world.unit_b.id}").get_data(as_text=True)
    rows = only_units[only_units.index('id="audit-table"'):]
    assert "责任单位更名" in rows and "孙书记" not in rows
    by_person = client.get(f"/audit/?actor={org.id}&since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert "没有符合条件的记录" in by_person
    bad = client.get("/audit/?since=昨天").get_data(as_text=True)
    assert "开始日期格式不正确" in bad


def test_only_org_dept_and_admin_see_it(app, world):
    for role, status in (("org_dept", 200), ("admin", 200), ("secretary_own", 404), ("discipline", 404)):
        client = app.test_client()
        login_role(client, world, role)
        assert client.get("/audit/").status_code == status, role
