"""The project's plugins, registered the upstream way: ``Component`` subclasses in this package."""
