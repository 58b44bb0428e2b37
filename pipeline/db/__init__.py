"""Database backends shipped with the Django runtime (``ENGINE = "pipeline.db.mysql"``)."""
