"""Scheduled jobs: short functions that open an app context once and call services in tracker/."""
