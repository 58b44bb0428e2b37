"""A stand-in database backend for the database checks (see base.py)."""
