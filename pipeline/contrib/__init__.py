"""Optional contrib apps of the Django runtime.

Each sub-package is a Django app named as upstream names it. Apps whose feature is not implemented are
placeholders (their docstring says so): installable, so settings files listing them load, but empty.
"""
