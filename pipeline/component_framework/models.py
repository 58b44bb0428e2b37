"""``ComponentModel``: the database mirror of the registered components."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pipeline.component_framework.constants import LEGACY_PLUGINS_VERSION
from pipeline.component_framework.library import ComponentLibrary
from pipeline.exceptions import ComponentNotExistException

__all__ = ["ComponentManager", "ComponentModel"]


class ComponentManager(models.Manager):
    def get_component_dict(self):
        """``{code: name}`` of the enabled components."""
        return dict(self.filter(status=True).values_list("code", "name"))

    def get_component_dicts(self, other_component_list=None):
        """Descriptions of the enabled components, followed by ``other_component_list`` items.

        Each item is ``{"code", "version", "name", "group_name", "group_icon", "is_default_version"}``;
        ``other_component_list`` (already in that form) lets callers add entries not stored here.
        """
        described = [
            {
                "code": component.code,
                "version": component.version,
                "name": component.name,
                "group_name": component.group_name,
                "group_icon": component.group_icon,
                "is_default_version": component.is_default_version,
            }
            for component in self.filter(status=True).order_by("code", "version")
        ]
        return described + list(other_component_list or [])


class ComponentModel(models.Model):
    """One registered ``(code, version)``; ``status`` is False for components no longer registered."""

    code = models.CharField(_("component code"), max_length=255, db_index=True)
    version = models.CharField(
        _("component version"), max_length=64, default=LEGACY_PLUGINS_VERSION, db_index=True
    )
    name = models.CharField(_("component name"), max_length=255, help_text=_("<group name>-<component name>"))
    is_default_version = models.BooleanField(_("is default version"), default=False)
    status = models.BooleanField(
        _("enabled"), default=True, help_text=_("False when no loaded module registers this component")
    )

    objects = ComponentManager()

    class Meta:
        verbose_name = _("component")
        verbose_name_plural = _("components")
        ordering = ["-id"]
        unique_together = (("code", "version"),)

    def __str__(self):
        return f"{self.name} ({self.code}/{self.version})"

    def _component_cls(self):
        try:
            return ComponentLibrary.get_component_class(self.code, self.version)
        except ComponentNotExistException:
            return None

    @property
    def group_name(self):
        """Group of the registered class, else the part of ``name`` before the first ``-``."""
        component_cls = self._component_cls()
        if component_cls is not None:
            return str(component_cls.group_name)
        return self.name.split("-", 1)[0]

    @property
    def group_icon(self):
        component_cls = self._component_cls()
        return component_cls.group_icon if component_cls is not None else ""
