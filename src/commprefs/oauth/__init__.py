"""OAuth apps, authorization codes and access / refresh tokens (issue 14)."""
