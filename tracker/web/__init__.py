"""Web blueprints. create_app() registers every blueprint in BLUEPRINTS."""
from tracker.web.admin import bp as admin_bp
from tracker.web.audit_log import bp as audit_log_bp
from tracker.web.auth import bp as auth_bp
from tracker.web.counties import bp as counties_bp
from tracker.web.health import bp as health_bp
from tracker.web.imports import bp as imports_bp
from tracker.web.ledger import bp as ledger_bp
from tracker.web.main import bp as main_bp
from tracker.web.notices import bp as notices_bp
from tracker.web.org import bp as org_bp
from tracker.web import org_dashboard  # noqa: F401 - the 工作台 route on the org blueprint
from tracker.web.proposals import bp as proposals_bp
from tracker.web.reach import bp as reach_bp
from tracker.web.roster import bp as roster_bp
from tracker.web.secretary import bp as secretary_bp

BLUEPRINTS = [main_bp, auth_bp, secretary_bp, admin_bp, org_bp, imports_bp, ledger_bp, notices_bp,
              proposals_bp, health_bp, roster_bp, reach_bp, audit_log_bp, counties_bp]
