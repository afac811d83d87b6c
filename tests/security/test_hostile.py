"""Hostile input never answers 5xx: every endpoint of app.url_map, as every role, on the matrix's world.

For each (endpoint, method) the walk starts from the matrix's own request (tests/security/expected.py: a URL
and form that reach deep into the view) — or, for a route the matrix does not know yet, a URL built from
the rule — and sends sampled hostile variants of it:
- each path argument replaced (ids 2³¹−1, 2³¹, 2⁶³, 10³⁰, −1; tokens with NUL, ESC, 10,000 characters…);
- query strings: every argument name a view reads (found in tracker/web/*.py) or a GET form on the pages
  offers, given hostile values in a Latin square (each row gives each name another value);
- forms: the fields the role's pages offer for that action (parsed <input>/<select>/<textarea> names) plus
  the matrix's own, with a CSRF token, first all hostile (Latin square), then the valid form with one field
  hostile at a time; file fields get a NUL in the name, a 10,000-character name, an empty file or plain text.
Values are sampled, not the cross product, to keep the walk to a minute or two per database.
An exception escaping the app (TESTING propagates them) counts as a 500.
"""
import re
from html import unescape
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest

from tests.security.expected import CASES, LOGIN, ROLES, Case
from tests.security.world import build_world
from tests.webhelpers import csrf_token, endpoint_of, login, tiny_png

pytestmark = pytest.mark.slow

BIG = 2**31
INT_VALUES = [str(BIG), str(2**63), str(-(2**63) - 1), "-1", "9" * 30, str(BIG - 1)]
TEXT_VALUES = ["\x00", "a\x00b", "x" * 10000, "不存在的值", "2026-02-30", "1.5", "\x1b[0m", "' OR 1=1 --", "",
               "\u202e\x7f\x85"]
VALUES = INT_VALUES + TEXT_VALUES
PATH_INTS = [str(BIG - 1), str(BIG), str(2**63), "1" + "0" * 30, "-1"]
PATH_TEXTS = ["%00", "a%00b", "x" * 10000, quote("不存在"), "%1B%5B0m", "..%2F..%2Fetc"]
LATIN_ROWS = 4
# /readyz answers 503 by design when the scheduler is not running (the world has none): that is its answer.
ALLOWED_5XX = {("health.readyz", 503)}
# These may end or renew the walking client's session: they go through a spare client, replaced by a new
# one (logged in again) after any redirect, the answer of a change that succeeded.
SESSION_CHANGING = {(c.endpoint, c.method) for c in CASES if c.last or c.fresh_client}

WEB = Path(__file__).resolve().parents[2] / "tracker" / "web"
ARG_RE = re.compile(r"""args\.get(?:list)?\(\s*["']([A-Za-z_][\w-]*)["']""")
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.I | re.S)
FIELD_RE = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
ATTR_RE = re.compile(r'\b(name|type|action|method)="([^"]*)"', re.I)
RULE_ARG_RE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _attributes(text: str) -> dict:
    return {k.lower(): unescape(v) for k, v in ATTR_RE.findall(text)}


def query_arg_names() -> set[str]:
    """Every name a view reads from request.args (so that a new filter of a new route is walked too)."""
    names = {"page"}
    for path in WEB.glob("*.py"):
        names.update(ARG_RE.findall(path.read_text(encoding="utf-8")))
    return names


class Forms:
    """What the role's pages offer: POST endpoint → {field name: is a file}, and GET-form field names."""

    def __init__(self):
        self.post: dict[str, dict[str, bool]] = {}
        self.get_names: set[str] = set()

    def read(self, app, html: str, page_url: str) -> None:
        for form_attributes, body in FORM_RE.findall(html):
            attributes = _attributes(form_attributes)
            fields = {}
            for _tag, field_attributes in FIELD_RE.findall(body):
                field = _attributes(field_attributes)
                if field.get("name") and field["name"] != "csrf_token":
                    fields[field["name"]] = field.get("type", "").lower() == "file"
            if attributes.get("method", "get").lower() != "post":
                self.get_names.update(fields)
                continue
            try:
                endpoint = endpoint_of(app, attributes.get("action") or page_url, "POST")
            except Exception:  # noqa: BLE001 - an action outside the app (none today) is not ours to walk
                continue
            self.post.setdefault(endpoint, {}).update(fields)


def _routes(app) -> list[tuple[str, str, str]]:
    return sorted({(rule.endpoint, method, rule.rule) for rule in app.url_map.iter_rules()
                   if rule.endpoint != "static" for method in rule.methods - {"HEAD", "OPTIONS"}})


def _baseline(world, role: str, endpoint: str, method: str) -> Case | None:
    """The matrix's case for the route, preferring one the role is allowed (it reaches deepest)."""
    cases = [c for c in CASES if c.endpoint == endpoint and c.method == method]
    allowed = [c for c in cases if c.status_for(role) not in (404, LOGIN)]
    return (allowed or cases or [None])[0]


def _path_variants(app, rule: str, method: str, url: str) -> list[str]:
    """The baseline URL with one path argument at a time replaced by a hostile value."""
    arguments = list(RULE_ARG_RE.finditer(rule))
    try:
        _endpoint, values = app.url_map.bind("localhost").match(urlsplit(url).path, method=method)
    except Exception:  # noqa: BLE001 - a rule-built URL the route refuses: walk from placeholders
        values = {}
    current = {m.group(2): quote(str(values[m.group(2)]), safe="") if m.group(2) in values
               else ("1" if m.group(1) == "int" else "x") for m in arguments}
    variants = []
    for argument in arguments:
        for value in PATH_INTS if argument.group(1) == "int" else PATH_TEXTS:
            chosen = {**current, argument.group(2): value}
            variants.append(RULE_ARG_RE.sub(lambda m: chosen[m.group(2)], rule))
    return variants


def _rule_url(rule: str) -> str:
    return RULE_ARG_RE.sub(lambda m: "1" if m.group(1) == "int" else "x", rule)


def _file_value(index: int):
    choices = [(BytesIO(tiny_png()), "a\x00b.png"), (BytesIO(tiny_png()), "x" * 10000 + ".png"),
               (BytesIO(b""), "empty.pdf"), (BytesIO(b"\x00" * 64), "不是图片.jpg"), "plain text, not a file"]
    return choices[index % len(choices)]


def _hostile(field: str, is_file: bool, index: int):
    return _file_value(index) if is_file else VALUES[index % len(VALUES)]


def _fresh(data):
    """Form data with new file objects (a test-client request consumes them)."""
    fresh = {}
    for key, value in data.items():
        if isinstance(value, list):
            value = [(BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for v in value]
        elif isinstance(value, tuple):
            value = (BytesIO(value[0].getvalue()), value[1])
        fresh[key] = value
    return fresh


class Walker:
    def __init__(self, app, db, world, role: str):
        self.app, self.db, self.world, self.role = app, db, world, role
        self.client = self._client()
        self.spare = None
        self.failures: dict[str, str] = {}
        self.sent: dict[str, int] = {}

    def _client(self):
        client = self.app.test_client()
        user = self.world.user(self.role)
        if user is not None:
            login(client, user.username, expect_success=False)
        return client

    def _token(self, client) -> str:
        try:
            return csrf_token(client, "/login" if self.role == "anon" else "/account/password")
        except AssertionError:  # the walk logged this client out (a password changed): a new one
            return ""

    def send(self, endpoint: str, method: str, url: str, data: dict | None = None, note: str = "") -> None:
        changing = (endpoint, method) in SESSION_CHANGING
        if changing and self.spare is None:
            self.spare = self._client()
        client = self.spare if changing else self.client
        self.sent[f"{endpoint} {method}"] = self.sent.get(f"{endpoint} {method}", 0) + 1
        try:
            if method == "GET":
                response = client.get(url)
            else:
                payload = _fresh(data or {})
                payload["csrf_token"] = self._token(client)
                response = client.post(url, data=payload, content_type="multipart/form-data")
            status = response.status_code
            response.close()
            if changing and status in (301, 302, 303):
                self.spare = None
        except Exception as error:  # noqa: BLE001 - TESTING propagates what would have been a 500
            self.db.session.rollback()
            self.spare = None
            self._fail(endpoint, method, url, note, f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
            return
        if status >= 500 and (endpoint, status) not in ALLOWED_5XX:
            self._fail(endpoint, method, url, note, f"answered {status}")

    def _fail(self, endpoint, method, url, note, what):
        key = f"{endpoint} {method} {note.split('=')[0]} {what[:80]}"
        self.failures.setdefault(key, f"{method} {url[:120]} {note[:120]!r}: {what}")

    def crawl(self, routes) -> Forms:
        """The role's pages, read once for their forms (the baseline GET of every route)."""
        forms = Forms()
        for endpoint, method, rule in routes:
            if method != "GET":
                continue
            case = _baseline(self.world, self.role, endpoint, method)
            url = case.url(self.world) if case else _rule_url(rule)
            try:
                response = self.client.get(url)
            except Exception as error:  # noqa: BLE001 - the plain page fails: a finding, and no forms from it
                self.db.session.rollback()
                self._fail(endpoint, method, url, "the page itself", f"{type(error).__name__}: {error}"[:300])
                continue
            if response.mimetype == "text/html" and response.status_code == 200:
                forms.read(self.app, response.get_data(as_text=True), url)
            response.close()
        return forms

    def walk(self, routes, forms: Forms, arg_names: list[str]) -> None:
        for number, (endpoint, method, rule) in enumerate(routes):
            case = _baseline(self.world, self.role, endpoint, method)
            url = case.url(self.world) if case else _rule_url(rule)
            valid = dict(case.data(self.world)) if case and case.data else {}
            # Where the role is refused, the guard answers before any field is read: a sample suffices there
            # (the central checks of tracker.web.hardening run before the guard, and are walked anyway).
            refused = case is not None and case.status_for(self.role) in (404, LOGIN)
            rows = 1 if refused else LATIN_ROWS
            for variant in _path_variants(self.app, rule, method, url)[::3 if refused else 1]:
                self.send(endpoint, method, variant, valid if method == "POST" else None, note="path")
            if method == "GET":
                self._query(endpoint, url, arg_names, number, rows)
            else:
                self._form(endpoint, url, valid, forms.post.get(endpoint, {}), number, rows, per_field=not refused)

    def _query(self, endpoint: str, url: str, names: list[str], number: int, rows: int) -> None:
        base = url.split("?")[0]
        for row in range(rows):
            args = {name: VALUES[(row * 3 + column + number) % len(VALUES)] for column, name in enumerate(names)}
            self.send(endpoint, "GET", f"{base}?{urlencode(args)}", note=f"query row {row}")

    def _form(self, endpoint: str, url: str, valid: dict, offered: dict, number: int, rows: int, *,
              per_field: bool) -> None:
        fields = dict(offered)
        for name, value in valid.items():
            fields.setdefault(name, isinstance(value, (list, tuple)))
        names = sorted(fields)
        for row in range(rows):
            data = {name: _hostile(name, fields[name], row * 3 + column + number) for column, name in enumerate(names)}
            self.send(endpoint, "POST", url, data, note=f"all fields row {row}")
        for column, name in enumerate(names if per_field else []):
            value = _hostile(name, fields[name], column + number)
            data = {**valid, name: value}
            self.send(endpoint, "POST", url, data, note=f"{name}={value if isinstance(value, str) else 'file'}")


@pytest.fixture
def world(app, db):
    return build_world(app, db.session)


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_input_answers_5xx(app, db, world, role):
    routes = _routes(app)
    walker = Walker(app, db, world, role)
    forms = walker.crawl(routes)
    names = sorted(query_arg_names() | forms.get_names)
    # The walk ends the walking client's session last (logout, 修改密码), as the matrix does.
    ordered = sorted(routes, key=lambda r: (r[0], r[1]) in SESSION_CHANGING)
    walker.walk(ordered, forms, names)
    unwalked = [f"{e} {m}" for e, m, _rule in routes if walker.sent.get(f"{e} {m}", 0) < 1]
    assert not unwalked, f"routes the walk did not reach: {unwalked}"
    assert not walker.failures, (f"{len(walker.failures)} hostile request(s) as {role} answered 5xx:\n  "
                                 + "\n  ".join(sorted(walker.failures.values())))


def test_the_walk_finds_forms_and_query_names(app, db, world):
    """The parsing the walk relies on: 组织部's pages offer the forms the matrix posts, and the names read."""
    walker = Walker(app, db, world, "org")
    forms = walker.crawl(_routes(app))
    assert {"measures", "responsible_person"} <= set(forms.post.get("secretary.submit_plan", {}))
    assert forms.post["secretary.post_update"].get("files") is True
    assert {"page", "review", "q", "status"} <= query_arg_names()
    assert _path_variants(app, "/org/tasks/<int:task_id>/extensions/<int:request_id>", "POST",
                          "/org/tasks/7/extensions/9")[:2] == [f"/org/tasks/{BIG - 1}/extensions/9",
                                                               f"/org/tasks/{BIG}/extensions/9"]
