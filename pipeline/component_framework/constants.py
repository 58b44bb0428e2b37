"""Constants of the component framework."""

#: Version of components that do not declare one.
LEGACY_PLUGINS_VERSION = "legacy"
