"""Outbox, in-app notices, escalation proposals, holiday table. Owned by the notify work."""
