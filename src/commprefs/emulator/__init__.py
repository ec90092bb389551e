"""The emulator (issue 15): a seed document's models and JSON Schema (schemas.py), applying a seed
through the services (seed.py), the state as a seed (state.py), the request journal (journal.py),
the injected faults (faults.py), the controllable clock (clock.py), and the emulator that holds
them with its baseline, reset and reset hooks (service.py)."""
