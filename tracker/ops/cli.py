"""Operator commands (backup, restore, check-config); create_app() registers every command in COMMANDS."""
COMMANDS: list = []
