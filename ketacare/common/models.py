from __future__ import annotations

import uuid

from django.db import models


class ClinicalRecord(models.Model):
    """Base for records that belong to one clinic. UUID keys don't reveal counts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
