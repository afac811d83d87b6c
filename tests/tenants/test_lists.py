"""Lists of a county's 组织部 name none of another county's records (links by id: both counties' units are
called 青山镇, so names would prove nothing)."""
import pytest

from tests.tenants.world import build_tenants
from tests.webhelpers import login


@pytest.fixture
def tenants(app, db):
    return build_tenants(app, db.session)


def _links(t, county):
    r = county.records
    return {
        "tasks": ("/org/tasks", [f"/org/tasks/{r.task.id}\"", f"/org/tasks/{county.overall.id}\""]),
        "escalated": ("/org/escalated", [f"/org/tasks/{r.escalated.id}\""]),
        "proposals": ("/notify/proposals?kind=talk", [f"/notify/proposals/{r.talk.id}\""]),
        "outbox": ("/notify/outbox?status=failed", [f"/notify/outbox/{r.failed_mail.id}\""]),
        "robots": ("/reach/robots", [f"/reach/robots/{r.unit.id}\""]),
        "users": ("/admin/users", [f"/admin/users/{r.secretary.id}/edit\""]),
    }


def _check(app, t, name):
    client = app.test_client()
    login(client, t.users["org_e"].username)
    url, own = _links(t, t.east)[name]
    _url, foreign = _links(t, t.west)[name]
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(link in html for link in own), f"{url} lacks the county's own records"
    assert not [link for link in foreign if link in html], f"{url} shows another county's records"


@pytest.mark.parametrize("name", ["tasks", "escalated", "users", "outbox", "robots", "proposals"])
def test_lists_hold_the_countys_records_only(app, tenants, name):
    _check(app, tenants, name)
