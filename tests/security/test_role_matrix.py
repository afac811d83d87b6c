"""Whole-application authorization: every (endpoint, method) in app.url_map × every role, against EXPECTED.

One test per role walks every case of tests/security/expected.py on a fresh world and lists every answer that
differs. Besides the status:
- a refused answer (404, or the login page for anonymous) writes nothing: no row of any table and no file in
  UPLOAD_DIR may change; unit B's secretary gets 404 on every URL that names unit A's records;
- an accepted POST changes something (a redirect after a refusal flashed as a message is not success);
- a file download is the file (its mimetype), not an HTML page;
- a page shows only the POST forms its reader may use (纪委 reads escalated tasks without forms).
If an answer is wrong because of a bug in the app, move that (case, role) into its own test marked
pytest.mark.xfail(strict=True, reason="bug: …") rather than changing EXPECTED.
"""
import re
from html import unescape
from urllib.parse import urlsplit

import pytest

from tests.security import snapshot
from tests.security.expected import CASES, LOGIN, ROLES, Case, cases_in_walk_order
from tests.security.world import build_world
from tests.webhelpers import csrf_token, endpoint_of, login


@pytest.fixture
def world(app, db):
    return build_world(app, db.session)


def _client_for(app, world, role: str):
    client = app.test_client()
    user = world.user(role)
    if user is not None:
        login(client, user.username)
    return client


def _token(client, role: str) -> str:
    return csrf_token(client, "/login" if role == "anon" else "/account/password")


def _send(app, world, client, role: str, case: Case, *, with_csrf: bool = True):
    """The response, with its HTML (or "" for anything else) read before it is closed."""
    url = case.url(world)
    if case.method == "GET":
        response = client.get(url)
    else:
        payload = dict(case.data(world)) if case.data else {}
        if with_csrf:
            payload["csrf_token"] = _token(client, role)
        response = client.post(url, data=payload, content_type="multipart/form-data")
    response.html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    response.close()
    return response


FORM_RE = re.compile(r"<form\b([^>]*)>", re.I)
ACTION_RE = re.compile(r'\baction="([^"]*)"', re.I)


def _post_forms(app, html: str, page_url: str) -> set[str]:
    """The endpoints the page's POST forms submit to."""
    endpoints = set()
    for attributes in FORM_RE.findall(html):
        if 'method="post"' not in attributes.lower():
            continue
        action = ACTION_RE.search(attributes)
        target = unescape(action.group(1)) if action and action.group(1) else page_url
        endpoints.add(endpoint_of(app, target, "POST"))
    return endpoints


def allowed_posts(role: str) -> set[str]:
    return {c.endpoint for c in CASES if c.method == "POST" and c.status_for(role) not in (404, LOGIN)}


def _is_login_page(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers.get("Location", "")).path == "/login"


def _describe(response) -> str:
    if response.status_code in (301, 302, 303):
        return f"{response.status_code} → {response.headers.get('Location')}"
    return str(response.status_code)


def check_case(app, world, client, role: str, case: Case) -> list[str]:
    """The mismatches of one request (empty when it answered as EXPECTED)."""
    expected = case.status_for(role)
    refused = expected in (404, LOGIN)
    accepted_post = case.method == "POST" and case.must_write and not refused
    if case.fresh_client:
        client = _client_for(app, world, role)
    before = snapshot.take(app) if refused or accepted_post else None
    response = _send(app, world, client, role, case)
    where = f"{case.name}: {case.method} {case.url(world)}"
    problems = []
    if expected == LOGIN:
        if not _is_login_page(response):
            problems.append(f"{where} answered {_describe(response)}, expected the login page")
    elif response.status_code != expected:
        problems.append(f"{where} answered {_describe(response)}, expected {expected}")
    elif expected == 302 and not case.to_login and _is_login_page(response):
        problems.append(f"{where} sent the user to the login page")
    if refused:
        changes = snapshot.take(app).changes_since(before)
        if changes:
            problems.append(f"{where} was refused but wrote: {'; '.join(changes)}")
    elif accepted_post and not problems and not snapshot.take(app).changes_since(before):
        problems.append(f"{where} answered {_describe(response)} but changed nothing (refused with a message?)")
    if response.status_code == 200 and case.content_type and not response.mimetype == case.content_type:
        problems.append(f"{where} answered {response.mimetype}, expected {case.content_type}")
    if response.html:
        # A page offers only the actions its reader may take (纪委 reads an escalated task without forms).
        offered = _post_forms(app, response.html, case.url(world)) - allowed_posts(role)
        if offered:
            problems.append(f"{where} shows a form for {sorted(offered)}, which {role} may not use")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_role(app, world, role):
    client = _client_for(app, world, role)
    problems = []
    for case in cases_in_walk_order():
        problems.extend(check_case(app, world, client, role, case))
    assert not problems, f"{len(problems)} answer(s) as {role} differ from EXPECTED:\n  " + "\n  ".join(problems)


def _routes(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_expected_covers_exactly_the_routes_of_the_app(app):
    declared = {(case.endpoint, case.method) for case in CASES}
    routes = _routes(app)
    assert sorted(routes - declared) == [], "routes without an entry in tests/security/expected.py"
    assert sorted(declared - routes) == [], "entries in tests/security/expected.py for routes that do not exist"


def test_expected_is_consistent(app, world):
    """Each case's URL is served by the endpoint it names; every role has a status; and unit B's secretary is
    refused (404) on every URL naming unit A's records."""
    wrong = []
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    for case in CASES:
        served_by = endpoint_of(app, case.url(world), case.method)
        if served_by != case.endpoint:
            wrong.append(f"{case.name}: {case.url(world)} is served by {served_by}, not {case.endpoint}")
        missing = {r for r in ROLES if r != "org2"} - set(case.expect)
        if missing:
            wrong.append(f"{case.name}: no status for {sorted(missing)}")
        if case.takes_a_id and case.expect["sec_b"] != 404:
            wrong.append(f"{case.name}: names unit A's record, so sec_b must be 404")
        if case.method == "POST" and case.data is None:
            wrong.append(f"{case.name}: a POST case needs a body (data)")
    assert not wrong, "\n".join(wrong)


def test_every_post_without_csrf_token_is_refused(app, world):
    """As 组织部 (allowed on most of them), a POST without its token answers 400 and changes nothing."""
    client = _client_for(app, world, "org")
    problems = []
    seen = set()
    for case in cases_in_walk_order():
        if case.method != "POST" or case.endpoint in seen:
            continue
        seen.add(case.endpoint)
        before = snapshot.take(app)
        response = _send(app, world, client, "org", case, with_csrf=False)
        if response.status_code != 400:
            problems.append(f"{case.name}: POST {case.url(world)} without a token answered {_describe(response)}")
        changes = snapshot.take(app).changes_since(before)
        if changes:
            problems.append(f"{case.name}: refused for its missing token but wrote: {'; '.join(changes)}")
    assert seen == {endpoint for endpoint, method in _routes(app) if method == "POST"}
    assert not problems, "\n".join(problems)
