"""Chinese everywhere: no English word in any text a user reads — the templates' text, the error pages, and the
messages the services and forms raise — outside an allow-list of proper nouns and file formats."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {
    # file formats and standards people see on their own computers
    "PDF", "Word", "Excel", "JPG", "JPEG", "PNG", "GIF", "WEBP", "docx", "xlsx", "pdf", "jpg", "jpeg", "png",
    "txt", "csv", "KB", "MB", "GB", "SMTP", "URL", "Webhook", "webhook", "ID", "IP", "CSV",
    # proper nouns
    "WeChat", "QQ", "tracker", "scheduler", "Chromium", "UTF", "GBK", "HTTP", "HTTPS", "HMAC", "XML", "xls",
    # placeholders people type over: 2026-03-31 written as YYYY-MM-DD, an anonymised name such as XX镇
    "YYYY", "MM", "DD", "XX",
}
# Paths, links and command-line options are typed, not read: /notify/notices, xl/workbook.xml, --deadline.
TYPED = re.compile(r"https?://\S+|[\w.-]*/[\w./-]+|--[\w-]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<!--.*?-->|<[^>]+>", re.S | re.I)
ENTITIES = re.compile(r"&[a-z]+;|&#\d+;")


def visible_text(source: str) -> str:
    return ENTITIES.sub(" ", TAGS.sub(" ", JINJA.sub(" ", source)))


def foreign_words(text: str) -> list[str]:
    return [w for w in LATIN_WORD.findall(TYPED.sub(" ", text)) if w not in ALLOWED]


TEMPLATES = sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in (".html", ".txt"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_text_is_chinese(path):
    assert foreign_words(visible_text(path.read_text(encoding="utf-8"))) == []


def _literal_text(node) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return ""


def _messages():
    """(where, text) of every message raised as an error or given to a form validator."""
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        if "parser" in path.parts or "ops" in path.parts:
            # the reader's warnings are codes with Chinese messages tested in tests/parser; the operators'
            # commands (backup, restore, checks) answer in both languages on purpose (docs/deploy.md)
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            programming = name in ("ValueError", "TypeError", "RuntimeError", "KeyError", "AssertionError")
            user_facing = not programming and name.endswith(("Error", "Denied")) or name in {
                "DataRequired", "InputRequired", "Length", "EqualTo", "flash", "_fail", "error_page"}
            if not user_facing:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords if k.arg in ("message",))]:
                text = _literal_text(arg)
                if re.search(r"[\u4e00-\u9fff]", text):  # a Chinese message: it must stay Chinese
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", text


MESSAGES = list(_messages())


def test_messages_were_found():
    assert len(MESSAGES) > 50


@pytest.mark.parametrize(("where", "text"), MESSAGES, ids=[w for w, _ in MESSAGES])
def test_error_messages_are_chinese(where, text):
    assert foreign_words(text) == [], where


@pytest.mark.parametrize("code", [400, 403, 404, 405, 500])
def test_error_pages_are_chinese_with_the_navigation(app, client, code):
    from flask import abort

    route = f"/_boom{code}"
    app.add_url_rule(route, f"boom{code}", lambda: abort(code))
    response = client.get(route)
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert foreign_words(visible_text(html)) == [] and 'class="topbar"' in html
    assert 'name="viewport"' in html


def test_an_unknown_page_says_so_in_chinese(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "未找到该页面，或您无权查看" in response.get_data(as_text=True)
