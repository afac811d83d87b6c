"""The escalation tests' people and mail settings serve here too."""
from tests.escalation.conftest import _notify_settings, people  # noqa: F401  (fixtures, found by name)
