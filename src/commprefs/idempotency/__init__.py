"""Idempotency keys of writes: claiming a key with the request's transaction, replays, conflicts."""
