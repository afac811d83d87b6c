"""Walks every route of these blueprints that takes an id, with ids of another unit: the secretary gets 404."""
from flask import url_for
from sqlalchemy import func, select

from tests.webhelpers import client_as, csrf_token
from tracker.models import AuditEvent, Evidence, ExtensionRequest, ProgressUpdate

OWN_BLUEPRINTS = ("main", "auth", "secretary", "admin")


def _other_unit_ids(world):
    """Each id argument name, filled with a record of unit B (the secretary under test is unit A's)."""
    return {"task_id": world.task_b.id, "evidence_id": world.evidence["b"].id, "user_id": world.sec_b.id}


def _state(db):
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (AuditEvent, Evidence, ExtensionRequest, ProgressUpdate))


def test_secretary_gets_404_for_every_record_of_another_unit(app, db, world):
    client = client_as(app, world, "sec_a")
    token = csrf_token(client, "/account/password")
    ids = _other_unit_ids(world)
    before = _state(db)
    walked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in OWN_BLUEPRINTS or not (set(rule.arguments) & set(ids)):
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, "measures": "x", "body": "x",
                                                  "summary": "x", "reason": "x", "new_deadline": "2099-01-01",
                                                  "name": "x", "role": "secretary"})
            response.close()
            assert response.status_code == 404, (method, url, response.status_code)
            walked.append((method, rule.endpoint))
    # The walk really covered the task, its forms, the file download and the user pages.
    endpoints = {endpoint for _method, endpoint in walked}
    assert {"secretary.task", "secretary.submit_plan", "secretary.post_update", "secretary.request_extension",
            "secretary.request_closure", "secretary.evidence", "admin.edit_user"} <= endpoints
    db.session.rollback()
    assert _state(db) == before  # nothing was written by any of these requests


def test_the_same_routes_answer_for_the_units_own_records(app, world):
    """The control: with unit A's own ids the secretary gets the pages (so the 404s above mean something)."""
    client = client_as(app, world, "sec_a")
    assert client.get(f"/tasks/{world.task_a.id}").status_code == 200
    with client.get(f"/evidence/{world.evidence['a'].id}") as response:
        assert response.status_code == 200
