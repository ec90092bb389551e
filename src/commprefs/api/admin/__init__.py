"""The admin API under ``/commprefs/v1`` (issue 17): one module of routes per resource."""
