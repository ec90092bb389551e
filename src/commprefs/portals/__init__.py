"""Tenants and their catalogue: portals, business units (brands), subscription definitions."""
