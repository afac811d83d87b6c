"""Helpers for web tests with CSRF on (TestConfig keeps WTF_CSRF_ENABLED): fetch a token, log in, post forms.

Usage:
    from tests.webhelpers import login, post_form, csrf_token
    login(client, "zzb")                       # password defaults to factories.PASSWORD
    post_form(client, "/tasks/1/plan", {"measures": "…"}, form_url="/tasks/1")
"""
import re

from tests.factories import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def extract_csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


def csrf_token(client, url: str = "/login") -> str:
    """A token valid for this client's session, read from a page with a form (logged-in pages all have one:
    the 退出 button in the navigation)."""
    response = client.get(url, follow_redirects=True)
    return extract_csrf(response.get_data(as_text=True))


def login(client, username: str, password: str = PASSWORD, *, expect_success: bool = True):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"identifier": username, "password": password, "csrf_token": token})
    if expect_success:
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


def is_login_redirect(response) -> bool:
    """What every page answers an anonymous visitor: a redirect to the login page."""
    return response.status_code == 302 and "/login" in response.headers["Location"]


def token_for(client, *, logged_in: bool) -> str:
    """A CSRF token of the client's session: from the login form, or from a page every logged-in role may open."""
    return csrf_token(client, "/account/password" if logged_in else "/login")


def logout(client):
    token = csrf_token(client, "/")
    return client.post("/logout", data={"csrf_token": token})


def post_form(client, url: str, data: dict | None = None, *, form_url: str | None = None, **kwargs):
    """POSTs `data` plus a fresh CSRF token read from form_url (default: the home page)."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, form_url or "/")
    return client.post(url, data=payload, **kwargs)


def login_as(app, client, user, password: str = PASSWORD):
    """Logs in an existing user; commits first so the login request sees them."""
    from tracker.extensions import db

    db.session.commit()
    return login(client, user.username, password)


def browser_login(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Logs in through the real login form of a Playwright page and waits for the next page."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit], input[type=submit]")
    assert "/login" not in page.url, page.content()[:2000]


# --- Test data: two units and one user of every role --------------------------------------------------

def tiny_png() -> bytes:
    """A real 1×1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def office_file(member: str) -> bytes:
    """A minimal zip with the member that marks a .docx (word/document.xml) or .xlsx (xl/workbook.xml)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, "<root/>")
    return buffer.getvalue()


_HASHES: dict[str, str] = {}


def password_hash(password: str = PASSWORD) -> str:
    from tracker.services.accounts import hash_password

    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


def quick_user(session, role, unit=None, *, username: str, name: str):
    """make_user with factories.PASSWORD, hashed once per run: scrypt per user would dominate the suite."""
    from tests.factories import make_user

    user = make_user(session, role, unit, username=username, name=name, password=None)
    user.password_hash = password_hash()
    return user


# --- Role × route matrices ------------------------------------------------------------------------------

def endpoint_of(app, url: str, method: str) -> str:
    """The endpoint that serves `method url` (the matrix names URLs; coverage is counted in endpoints)."""
    from urllib.parse import urlsplit

    return app.url_map.bind("localhost").match(urlsplit(url).path, method=method)[0]


def routes_missing_from(app, blueprints, covered) -> list[str]:
    """Every (endpoint, method) of `blueprints` that the matrix's `covered` set leaves out."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in blueprints:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append(f"{rule.endpoint} {method} {rule.rule}")
    return missing


class World:
    """unit_a / unit_b with their secretaries, org_dept, discipline, admin; task_a / task_b with a file each."""

    def __init__(self, app, session):
        from datetime import timedelta
        from pathlib import Path

        from tests.factories import make_review, make_task, make_unit
        from tracker.models import Evidence, ProgressUpdate, Role, UpdateKind
        from tracker.models.types import utcnow
        from tracker.timeutil import local_date

        self.today = local_date(utcnow(), app.config["TIMEZONE"])
        self.unit_a = make_unit(session, "青山镇")
        self.unit_b = make_unit(session, "绿水乡")
        self.sec_a = quick_user(session, Role.SECRETARY, self.unit_a, username="sec-a", name="甲书记")
        self.sec_b = quick_user(session, Role.SECRETARY, self.unit_b, username="sec-b", name="乙书记")
        self.org = quick_user(session, Role.ORG_DEPT, username="zzb", name="王组织")
        self.disc = quick_user(session, Role.DISCIPLINE, username="jw", name="李纪检")
        self.admin = quick_user(session, Role.ADMIN, username="admin", name="管理员")
        self.review = make_review(session)
        self.task_a = make_task(session, self.unit_a, self.sec_a, self.review,
                                deadline=self.today + timedelta(days=20), text="青山镇的问题")
        self.task_b = make_task(session, self.unit_b, self.sec_b, self.review,
                                deadline=self.today + timedelta(days=20), text="绿水乡的问题")
        upload_dir = Path(app.config["UPLOAD_DIR"])
        upload_dir.mkdir(parents=True, exist_ok=True)
        self.evidence = {}
        for key, task, author in (("a", self.task_a, self.sec_a), ("b", self.task_b, self.sec_b)):
            update = ProgressUpdate(task=task, author_id=author.id, kind=UpdateKind.PROGRESS, body=f"{key}进展")
            session.add(update)
            session.flush()
            stored = f"seed{key}{task.id}.png"
            (upload_dir / stored).write_bytes(tiny_png())
            row = Evidence(task_id=task.id, update_id=update.id, original_name=f"照片{key}.png", stored_name=stored,
                           content_type="image/png", size=len(tiny_png()), sha256="0" * 64,
                           uploaded_by_id=author.id)
            session.add(row)
            session.flush()
            self.evidence[key] = row
        session.commit()

    def user(self, role_key: str):
        return None if role_key == "anon" else getattr(self, role_key)


ROLE_KEYS = ["sec_a", "sec_b", "org", "disc", "admin", "anon"]


def client_as(app, world: World, role_key: str):
    """A fresh test client logged in as world.<role_key> ("anon": not logged in)."""
    client = app.test_client()
    user = world.user(role_key)
    if user is not None:
        login(client, user.username)
    return client


def isolate_requests(app):
    """Gives every test-client request a clean `g`.

    The `app` fixture keeps one app context pushed for the whole test, and Flask reuses it for each
    request; without this, `g` (Flask-Login's cached user, Flask-WTF's token) leaks from one client to
    the next, so a second client would act as the first one's user. Use it from an autouse fixture:

        @pytest.fixture(autouse=True)
        def _clean_g(app):
            with isolate_requests(app):
                yield
    """
    from contextlib import contextmanager

    from flask import g, request_started

    def _clear(sender, **extra):
        g.__dict__.clear()

    @contextmanager
    def connected():
        request_started.connect(_clear, app)
        try:
            yield
        finally:
            request_started.disconnect(_clear, app)

    return connected()
