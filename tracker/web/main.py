"""The home page sends each role to its own start page; app-wide helpers of the pages (nav links, 413)."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from tracker.models import Role

bp = Blueprint("main", __name__)

START_PAGES = {
    Role.SECRETARY: "secretary.tasks",
    Role.ORG_DEPT: "org.dashboard",
    Role.DISCIPLINE: "org.escalated",
    Role.ADMIN: "admin.users",
}


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    endpoint = START_PAGES.get(current_user.role)
    if endpoint and endpoint in current_app.view_functions:
        return redirect(url_for(endpoint))
    # The start page of this role is not deployed: a plain page with the navigation still works.
    return render_template("auth/home.html")


@bp.app_template_global()
def nav_link(endpoint: str, label: str, **values) -> Markup:
    """A navigation link, or nothing while the page it points to does not exist in this build."""
    if endpoint not in current_app.view_functions:
        return Markup("")
    url = url_for(endpoint, **values)
    current = ' aria-current="page"' if request.endpoint == endpoint else ""
    return Markup(f'<a href="{escape(url)}"{current}>{escape(label)}</a>')


@bp.app_template_global()
def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


@bp.app_template_global()
def logout_form():
    """The 退出 button's form: logging out is a POST with a CSRF token, like every change."""
    from tracker.web.forms import LogoutForm

    return LogoutForm(formdata=None)


@bp.app_errorhandler(413)
def request_too_large(_error):
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    per_file = current_app.config.get("MAX_EVIDENCE_BYTES") or 0
    from tracker.services.evidence import format_size

    return render_template("auth/too_large.html", limit=format_size(limit), per_file=format_size(per_file)), 413
