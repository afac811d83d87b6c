"""Operations: backups, health checks and configuration checks for the people who run the server."""
