"""Account-related tables (login throttling, invitations). Owned by the web/accounts work."""
