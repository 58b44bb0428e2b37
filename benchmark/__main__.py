"""``python -m benchmark``: see benchmark/cli.py and benchmark/README.md."""

from benchmark.cli import main

main()
