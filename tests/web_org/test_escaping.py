"""User text is escaped on every page of the org, imports and ledger blueprints; tables work at 375 px."""
import re

import pytest

from tests.web_org.conftest import SCRIPT
from tests.webhelpers import login

ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"


def pages(w):
    return [
        ("zzb", "/org/"),
        ("zzb", f"/org/?review={w.review.id}"),
        ("zzb", "/org/tasks"),
        ("zzb", f"/org/tasks/{w.script.id}"),
        ("zzb", "/org/units"),
        ("zzb", "/imports/"),
        ("zzb", "/ledger/"),
        ("zzb", f"/ledger/print?review={w.review.id}"),
        ("sec-b", f"/ledger/print?review={w.review.id}"),
        ("sec-b", "/ledger/"),
    ]


@pytest.mark.parametrize("index", range(10))
def test_script_text_is_escaped(client, db, world, index):
    username, url = pages(world)[index]
    login(client, username)
    html = client.get(url).get_data(as_text=True)
    assert SCRIPT not in html
    assert ESCAPED in html


def test_escalated_pages_escape_for_discipline(client, db, world):
    world.script.escalation_level = 2
    db.session.commit()
    login(client, "jw")
    for url in ("/org/escalated", f"/org/tasks/{world.script.id}"):
        html = client.get(url).get_data(as_text=True)
        assert SCRIPT not in html and ESCAPED in html


def test_tables_are_responsive_with_labels(client, world):
    login(client, "zzb")
    for url in ("/org/", "/org/tasks", "/org/units", f"/ledger/print?review={world.review.id}"):
        html = client.get(url).get_data(as_text=True)
        assert '<table class="responsive' in html or 'class="ledger' in html, url
        cells = re.findall(r"<td(?: [^>]*)?>", html)
        labelled = [c for c in cells if "data-label=" in c]
        assert cells and len(labelled) >= len(cells) - 1, url  # only an empty-table placeholder may lack one
