"""The "notify" blueprint; its routes live in views.py (outbox, notices, holidays, 签收) and
proposal_views.py (约谈 / 通报 proposals and decisions)."""
from flask import Blueprint

bp = Blueprint("notify", __name__, url_prefix="/notify")

from tracker.notify import proposal_views, views  # noqa: E402,F401  (attach their routes to bp)
