"""The operators' web console at ``/console/``: server-rendered pages and plain forms (no
scripts), on the operators/ services."""
