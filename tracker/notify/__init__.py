"""Deadline reminders, the escalation ladder and the email outbox."""
