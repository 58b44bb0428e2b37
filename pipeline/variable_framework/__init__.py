"""Variable framework: lazy variables discovered at startup, mirrored in the ``VariableModel`` table."""
