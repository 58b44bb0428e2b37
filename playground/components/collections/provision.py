"""The provision example's components (``python -m playground.provision``): steps that undo themselves.

Each step adds a resource to an *inventory* (a JSON file named by the ``inventory`` input, standing in
for a cloud account) and its ``rollback`` removes it again, so a pipeline rolled back
(``pipeline.contrib.rollback``) leaves the inventory as it was before the undone steps ran. Every change
is also appended to the inventory's ``log``.

``provision_install_app`` fails on its first attempt (a flaky package mirror), which is what the example
rolls back from.
"""

import json
import os
from typing import Any, Dict

from pipeline.component_framework.component import Component
from pipeline.core.flow.activity import Service

__group_name__ = "Provision example"


def read_inventory(path: str) -> Dict[str, Any]:
    """The inventory at ``path`` (empty when the file does not exist yet)."""
    if not os.path.exists(path):
        return {"resources": [], "log": [], "install_attempts": 0}
    with open(path, encoding="utf-8") as inventory:
        return json.load(inventory)


def _write_inventory(path: str, inventory: Dict[str, Any]) -> None:
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(inventory, out, indent=2)
    os.replace(temporary, path)


class ProvisionStep(Service):
    """Adds ``<kind>:<name>`` to the inventory; its rollback removes what this run added."""

    kind = ""
    done, undone = "created", "deleted"

    def execute(self, data, parent_data):
        path, resource = data.get_one_of_inputs("inventory"), f"{self.kind}:{data.get_one_of_inputs('name')}"
        inventory = read_inventory(path)
        if not self.ready(inventory, data):
            _write_inventory(path, inventory)
            return False
        inventory["resources"].append(resource)
        inventory["log"].append(f"{self.done} {resource}")
        _write_inventory(path, inventory)
        data.set_outputs("resource", resource)
        return True

    def ready(self, inventory: Dict[str, Any], data: Any) -> bool:
        """Whether the step can be done now (sets ``ex_data`` when not)."""
        return True

    def rollback(self, data, parent_data, rollback_data=None):
        path, resource = data.get_one_of_inputs("inventory"), data.get_one_of_outputs("resource")
        inventory = read_inventory(path)
        if resource in inventory["resources"]:
            inventory["resources"].remove(resource)
        inventory["log"].append(f"{self.undone} {resource}")
        _write_inventory(path, inventory)
        return True


class CreateVMService(ProvisionStep):
    kind = "vm"


class AttachDiskService(ProvisionStep):
    kind, done, undone = "disk", "attached", "detached"


class InstallAppService(ProvisionStep):
    kind, done, undone = "app", "installed", "uninstalled"

    def ready(self, inventory: Dict[str, Any], data: Any) -> bool:
        inventory["install_attempts"] += 1
        if inventory["install_attempts"] > 1:
            return True
        inventory["log"].append("install failed: package mirror timed out")
        data.set_outputs("ex_data", "package mirror timed out")
        return False


class CreateVMComponent(Component):
    name = "Create VM"
    code = "provision_create_vm"
    bound_service = CreateVMService


class AttachDiskComponent(Component):
    name = "Attach disk"
    code = "provision_attach_disk"
    bound_service = AttachDiskService


class InstallAppComponent(Component):
    name = "Install app"
    code = "provision_install_app"
    bound_service = InstallAppService
