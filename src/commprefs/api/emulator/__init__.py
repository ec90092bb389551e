"""The emulator's control API under ``/_commprefs`` (``serve --emulator`` only; no token): a
FastAPI app of its own, mounted by app.py, with its own OpenAPI document. routes.py builds it and
includes the sub-routers (seed, reset, state here; journal, faults and clock beside it)."""
