"""Value types and pure rules of commprefs; imports nothing else of commprefs."""
