"""The console's services: its users and sessions (service.py), the overview (dashboard.py) and
the changes operators make (changes.py)."""
