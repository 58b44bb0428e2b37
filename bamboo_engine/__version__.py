"""Engine version, kept equal to the upstream release whose contract we implement."""

__version__ = "3.0.7"
