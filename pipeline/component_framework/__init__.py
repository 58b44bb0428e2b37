"""Component framework: plugin components registered in memory, mirrored in the ``ComponentModel`` table."""
