"""Lets the tests import the application (newsletter.py) from this folder."""
