"""Benchmarks of commprefs against a same-stack baseline (`make bench`); see bench/__main__.py."""
