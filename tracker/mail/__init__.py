"""The mail room: the outbox (one row per notice), the day's mail per address, and delivery over SMTP."""
