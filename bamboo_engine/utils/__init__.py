"""Small helpers shared by the engine core."""
