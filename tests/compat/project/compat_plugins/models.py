"""What the project's receivers and hooks saw, for its end-to-end tests to read."""

import json

from django.db import models


class HookRecord(models.Model):
    """One signal received or one service hook called, in the order they happened (by ``id``)."""

    source = models.CharField(max_length=32)  # "pipeline_event", "post_set_state", "service_hook", ...
    name = models.CharField(max_length=64)
    node_id = models.CharField(max_length=33, db_index=True, default="")
    sender = models.CharField(max_length=255, default="")
    detail = models.TextField(default="{}")
    process_id = models.IntegerField(default=0)

    def details(self) -> dict:
        return json.loads(self.detail)
