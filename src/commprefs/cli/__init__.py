"""The ``commprefs`` command line, one module per concern."""
