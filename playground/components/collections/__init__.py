"""Playground plugins, one module per theme; importing a module registers its classes in memory only."""
