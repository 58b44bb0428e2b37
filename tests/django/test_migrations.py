"""The committed migrations match the models."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.parametrize("app_label", ["eri", "rollback"])
def test_no_missing_migrations(db, app_label):
    out = StringIO()
    call_command("makemigrations", app_label, "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()


def test_indexes_are_named(db):
    from pipeline.eri import models

    for model in (models.Process, models.Node, models.State, models.ExecutionHistory, models.LogEntry):
        assert all(index.name.startswith("eri_") for index in model._meta.indexes), model
