"""Our own HTTP routes under ``/commprefs/v1``: history and state as of a time."""
