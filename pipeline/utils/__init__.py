"""Small helpers under the import paths projects use (``pipeline.utils.uniqid``)."""
