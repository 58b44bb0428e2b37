"""Data objects and context variables for plugin authors."""
