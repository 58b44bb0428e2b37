"""Discovery of plugin modules: installed apps, COMPONENT_PATH / VARIABLE_PATH, the shipped examples."""

import pytest

from pipeline.component_framework.discovery import component_packages, import_package_tree, variable_packages


def test_component_packages_cover_installed_apps_configured_paths_and_examples():
    packages = component_packages(["my.extra.components"], enable_examples=True)

    assert "pipeline.component_framework.components.collections" in packages
    assert packages[-2:] == ["pipeline.components.collections", "my.extra.components"]
    assert packages.count("pipeline.components.collections") == 1


def test_examples_are_left_out_when_disabled():
    assert "pipeline.components.collections" not in component_packages([], enable_examples=False)


def test_the_playground_is_never_discovered_by_the_framework():
    # The playground registers its plugins through its own COMPONENT_PATH; the framework knows nothing of it.
    for enable_examples in (True, False):
        assert not [
            package
            for package in component_packages([], enable_examples=enable_examples)
            if package.startswith("playground")
        ]


def test_variable_packages_cover_installed_apps_and_variable_path():
    packages = variable_packages(["my.variables"])

    assert "pipeline.variable_framework.variables.collections" in packages
    assert packages[-1] == "my.variables"


def test_import_package_tree_imports_every_submodule():
    imported = import_package_tree("playground.components.collections")
    assert import_package_tree("pipeline.components.collections") == [
        "pipeline.components.collections",
        "pipeline.components.collections.examples",
    ]

    assert imported[0] == "playground.components.collections"
    assert {"playground.components.collections.debug", "playground.components.collections.end_events"} <= set(
        imported
    )


def test_missing_app_packages_are_skipped_but_missing_configured_paths_raise():
    assert import_package_tree("pipeline.component_framework.components.collections") == []
    with pytest.raises(ModuleNotFoundError):
        import_package_tree("no_such_plugins.collections", required=True)


def test_import_errors_inside_existing_plugin_modules_propagate(tmp_path, monkeypatch):
    package = tmp_path / "broken_plugins"
    (package / "collections").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "collections" / "__init__.py").write_text("import a_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ModuleNotFoundError, match="a_dependency_that_is_not_installed"):
        import_package_tree("broken_plugins.collections")
