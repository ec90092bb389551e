"""commprefs for a test suite (issue 15): ``Emulator``, a served ``commprefs serve --emulator``
as a context manager, and the pytest plugin (plugin.py, installed as the ``pytest11`` entry point
``commprefs``) with the ``commprefs_emulator`` and ``commprefs`` fixtures.

    from commprefs.testing import Emulator

    with Emulator(seed="seed.yaml") as hubspot:
        os.environ.update(hubspot.environment)   # HUBSPOT_BASE_URL, HUBSPOT_ACCESS_TOKEN
        ...
        hubspot.reset()
"""

from commprefs.testing.emulator import Clock, Emulator, EmulatorError

__all__ = ["Clock", "Emulator", "EmulatorError"]
