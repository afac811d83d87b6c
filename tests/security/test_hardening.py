"""tracker/web/hardening.py: ids beyond a 32-bit column are 404, control characters are refused (forms, before
logging in too) or stripped (query strings), and integers from forms and query strings are read in range."""
import pytest

from tests.security import snapshot
from tests.webhelpers import World, client_as, csrf_token
from tracker.web.hardening import INT32_MAX, parse_int


@pytest.fixture
def world(app, db):
    return World(app, db.session)


@pytest.mark.parametrize("value", [str(INT32_MAX), str(INT32_MAX + 1), str(2**63), "9" * 40])
def test_ids_beyond_the_column_answer_404(app, world, value):
    client = client_as(app, world, "org")
    for url in (f"/tasks/{value}", f"/org/tasks/{value}", f"/evidence/{value}", f"/notify/outbox/{value}",
                f"/admin/users/{value}/edit"):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/account/password")
    response = client.post(f"/org/tasks/{value}/deadline", data={"csrf_token": token, "deadline": "2027-01-01"})
    assert response.status_code == 404


def test_a_page_beyond_any_list_answers_404_and_a_page_in_range_answers(app, world):
    client = client_as(app, world, "org")
    assert client.get(f"/org/tasks?page={2**63}").status_code == 404
    assert client.get("/org/tasks?page=999999").status_code in (200, 404)
    assert client.get("/org/tasks?page=abc").status_code == 200


@pytest.mark.parametrize("url,fields", [
    ("/login", {"identifier": "zzb\x00", "password": "x"}),
    ("/forgot-password", {"identifier": "zzb\x00"}),
    ("/login", {"identifier": "zzb", "password": "pass\x1bword"}),
])
def test_control_characters_in_a_form_are_refused_before_logging_in(app, world, url, fields):
    client = app.test_client()
    token = csrf_token(client, url)
    before = snapshot.take(app)
    response = client.post(url, data={**fields, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "控制字符" in html and "未保存任何内容" in html
    assert snapshot.take(app).changes_since(before) == []


def test_control_characters_in_a_secretary_form_and_a_file_name_are_refused(app, world):
    from io import BytesIO

    from tests.webhelpers import tiny_png

    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    token = csrf_token(client, url)
    before = snapshot.take(app)
    assert client.post(f"{url}/updates", data={"csrf_token": token, "body": "进展\x00"}).status_code == 400
    response = client.post(f"{url}/updates", content_type="multipart/form-data",
                           data={"csrf_token": token, "body": "进展", "files": [(BytesIO(tiny_png()), "a\x07.png")]})
    assert response.status_code == 400
    assert snapshot.take(app).changes_since(before) == []
    # Line breaks and tabs are text, not control characters to refuse.
    response = client.post(f"{url}/updates", data={"csrf_token": token, "body": "第一行\r\n第二行\t完"})
    assert response.status_code == 302


def test_control_characters_in_a_query_string_are_stripped(app, world):
    client = client_as(app, world, "org")
    response = client.get("/org/tasks?q=%E9%9D%92%00%E5%B1%B1")
    assert response.status_code == 200
    assert "\x00" not in response.get_data(as_text=True)
    assert client.get("/invitation/abc%00def").status_code == 404  # a path with one names nothing


def test_parse_int_reads_only_what_fits_a_column():
    assert parse_int("42") == 42 and parse_int(" -7 ") == -7 and parse_int("+3") == 3
    assert parse_int(str(INT32_MAX)) == INT32_MAX and parse_int(str(INT32_MAX + 1)) is None
    assert parse_int(str(-(2**31))) == -(2**31) and parse_int(str(-(2**31) - 1), 0) == 0
    assert parse_int("1" * 5000, 1) == 1 and parse_int("1e3") is None and parse_int("") is None
    assert parse_int(None, 5) == 5 and parse_int("0", 1, minimum=1) == 1


def test_coerce_int_refuses_what_does_not_fit():
    from tracker.web.hardening import coerce_int

    assert coerce_int("12") == 12
    for value in (str(2**31), str(2**63), "abc", ""):
        with pytest.raises(ValueError):
            coerce_int(value)
