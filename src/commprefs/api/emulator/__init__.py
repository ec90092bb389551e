"""The emulator's control API under ``/_commprefs`` (``serve --emulator`` only; no token): a
FastAPI app of its own, mounted by app.py, with its own OpenAPI document
(``/_commprefs/openapi.json``, never in ``/openapi.json``). routes.py builds it and includes the
sub-routers (seed, reset, state there; the journal, faults and clock beside it); capture.py holds
the middleware that journals requests and answers them with faults."""
