"""The emulator (issue 15): a seed document's models and JSON Schema (schemas.py), applying a seed
through the services (seed.py), the state as a seed (state.py), and the baseline, reset and
reset hooks (service.py)."""
