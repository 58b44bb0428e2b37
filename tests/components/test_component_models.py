"""``ComponentModel``/``VariableModel`` sync: post_migrate, the management commands, the manager helpers."""

import io

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from pipeline.component_framework.apps import sync_after_migrate
from pipeline.component_framework.component import Component
from pipeline.component_framework.library import ComponentLibrary
from pipeline.component_framework.models import ComponentModel
from pipeline.component_framework.sync import table_exists
from pipeline.core.data.var import LazyVariable
from pipeline.core.flow.activity import Service
from pipeline.variable_framework.models import VariableModel

pytestmark = pytest.mark.django_db


class NoopService(Service):
    def execute(self, data, parent_data):
        return True


def _declare_component(code="sync_me", version="legacy", name="Sync me"):
    return type(Component)(
        "SyncMe",
        (Component,),
        {
            "name": name,
            "code": code,
            "version": version,
            "bound_service": NoopService,
            "__module__": __name__,
        },
    )


def _rows():
    return {(row.code, row.version): (row.name, row.status) for row in ComponentModel.objects.all()}


def _command_output(name):
    out = io.StringIO()
    call_command(name, stdout=out)
    return out.getvalue()


def test_update_component_models_creates_rows_for_every_registered_component():
    ComponentModel.objects.all().delete()
    _declare_component()

    output = _command_output("update_component_models")

    rows = _rows()
    assert rows[("sync_me", "legacy")] == ("Test_Component_Models-Sync me", True)
    assert rows[("factorial", "legacy")] == ("Examples-Factorial", True)
    assert len(rows) == len(ComponentLibrary.component_list())
    assert f"{len(rows)} created" in output


def test_update_component_models_updates_names_and_disables_unregistered_rows():
    ComponentModel.objects.create(code="gone", version="legacy", name="Old-Gone", status=True)
    ComponentModel.objects.create(code="sync_me", version="legacy", name="Old-Name", status=False)
    _declare_component()

    _command_output("update_component_models")

    rows = _rows()
    assert rows[("gone", "legacy")] == ("Old-Gone", False)
    assert rows[("sync_me", "legacy")] == ("Test_Component_Models-Sync me", True)


def test_sync_is_idempotent():
    _command_output("update_component_models")
    before = _rows()

    output = _command_output("update_component_models")

    assert _rows() == before
    assert "0 created, 0 updated, 0 disabled" in output


def test_post_migrate_syncs_components_and_variables():
    ComponentModel.objects.all().delete()
    VariableModel.objects.all().delete()
    _declare_component(code="after_migrate")

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert ("after_migrate", "legacy") in _rows()
    assert VariableModel.objects.filter(code="upper_case", status=True).exists()


def test_post_migrate_respects_auto_update_settings(settings):
    settings.AUTO_UPDATE_COMPONENT_MODELS = False
    settings.AUTO_UPDATE_VARIABLE_MODELS = False
    ComponentModel.objects.all().delete()
    VariableModel.objects.all().delete()

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert not ComponentModel.objects.exists()
    assert not VariableModel.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_post_migrate_sync_is_skipped_while_the_table_is_missing():
    with connection.schema_editor() as editor:
        editor.delete_model(ComponentModel)
    try:
        assert not table_exists(ComponentModel)
        sync_after_migrate(sender=None, using="default")  # must not raise
    finally:
        with connection.schema_editor() as editor:
            editor.create_model(ComponentModel)
    assert table_exists(ComponentModel)


def test_manager_helpers_and_group_properties():
    ComponentModel.objects.all().delete()
    _command_output("update_component_models")
    ComponentModel.objects.filter(code="fail_node").update(status=False)

    component_dict = ComponentModel.objects.get_component_dict()
    dicts = ComponentModel.objects.get_component_dicts(other_component_list=[{"code": "extra"}])

    assert component_dict["factorial"] == "Examples-Factorial"
    assert "fail_node" not in component_dict
    factorial = next(item for item in dicts if item["code"] == "factorial")
    assert factorial == {
        "code": "factorial",
        "version": "legacy",
        "name": "Examples-Factorial",
        "group_name": "Examples",
        "group_icon": "",
        "is_default_version": False,
    }
    assert dicts[-1] == {"code": "extra"}
    orphan = ComponentModel.objects.create(code="orphan", name="Lost-Orphan")
    assert (orphan.group_name, orphan.group_icon) == ("Lost", "")


def test_update_variable_models_mirrors_the_variable_library():
    VariableModel.objects.all().delete()
    VariableModel.objects.create(code="removed_variable", status=True)

    class Reverse(LazyVariable):
        code = "test_reverse"
        name = "Reverse"
        type = "meta"

        def get_value(self):
            return self.value[::-1]

    out = io.StringIO()
    call_command("update_variable_models", stdout=out)

    status = dict(VariableModel.objects.values_list("code", "status"))
    assert status["test_reverse"] is True
    assert status["upper_case"] is True
    assert status["removed_variable"] is False
    model = VariableModel.objects.get(code="test_reverse")
    assert (model.name, model.type, model.form) == ("Reverse", "meta", None)
    assert "disabled" in out.getvalue()


def test_migrations_are_up_to_date():
    out = io.StringIO()
    call_command(
        "makemigrations", "component_framework", "variable_framework", check=True, dry_run=True, stdout=out
    )
    assert "No changes detected" in out.getvalue()
