"""Signals other apps listen to. Sent inside the transaction of the change."""

from __future__ import annotations

from django.dispatch import Signal

# A patient's medication list, allergies, diagnoses or treatment history changed.
# Sent with access (ClinicAccess) and patient_id; receivers run in the same transaction.
clinical_record_changed = Signal()
