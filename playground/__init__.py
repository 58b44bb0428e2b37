"""The playground Django project used by demos, tests and benchmarks."""
