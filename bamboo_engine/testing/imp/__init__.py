"""The in-memory runtime, one mixin per ERI concern; :mod:`bamboo_engine.testing.runtime` composes them."""
