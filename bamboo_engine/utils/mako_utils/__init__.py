"""Template safety helpers under the import paths projects use (``checker``, ``exceptions``)."""
