"""``VariableModel``: the database mirror of the registered lazy variables."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pipeline.core.data.library import VariableLibrary

__all__ = ["VariableModel"]


class VariableModel(models.Model):
    """One registered lazy variable code; ``status`` is False once no loaded module registers it."""

    code = models.CharField(_("variable code"), max_length=255, unique=True)
    status = models.BooleanField(
        _("enabled"), default=True, help_text=_("False when no loaded module registers this variable")
    )

    class Meta:
        verbose_name = _("variable")
        verbose_name_plural = _("variables")
        ordering = ["-id"]

    def __str__(self):
        return self.code

    def get_var_class(self):
        """The registered class, or None when the code is no longer registered."""
        return VariableLibrary.get_var_class(self.code)

    def _class_attr(self, name, default=""):
        return getattr(self.get_var_class(), name, default)

    @property
    def name(self):
        return self._class_attr("name")

    @property
    def form(self):
        return self._class_attr("form")

    @property
    def type(self):
        return self._class_attr("type")

    @property
    def tag(self):
        return self._class_attr("tag")

    @property
    def meta_tag(self):
        return self._class_attr("meta_tag")
