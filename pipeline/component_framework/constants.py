"""Constants of the component framework."""

#: Version of components that do not declare one.
LEGACY_PLUGINS_VERSION = "legacy"

#: The example components shipped with ``pipeline`` (``ENABLE_EXAMPLE_COMPONENTS``). A component a
#: project registers under the same code and version always replaces them.
EXAMPLE_COMPONENT_PACKAGES = ("pipeline.components.collections",)
