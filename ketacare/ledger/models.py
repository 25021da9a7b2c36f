"""The controlled-substance ledger: products, lots, locations, balances and the
append-only, hash-chained entries (one chain per clinic, like the audit trail).

Only ketacare.ledger.services writes these rows. A correction is a reversing entry.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

from ketacare.accounts.models import Clinic
from ketacare.common.models import ClinicalRecord
from ketacare.ledger import core

USER = settings.AUTH_USER_MODEL
_R = core.LedgerRules()


class LedgerSettings(models.Model):
    """The clinic's registration and ledger choices (defaults and sources: core.RULE_SOURCES)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="+")
    registration_number = models.CharField("DEA registration number", max_length=20, blank=True)
    schedule_authority = models.CharField(
        "Schedules authorised", max_length=40, blank=True, default="III"
    )
    registrant_name = models.CharField("Registrant name", max_length=200, blank=True)
    require_balanced_to_sign = models.BooleanField(
        "A session is signed only with a balanced ledger record",
        default=_R.require_balanced_to_sign,
    )
    waste_witness_required = models.BooleanField(
        "Waste needs a licensed witness", default=_R.waste_witness_required
    )
    significant_loss_mg = models.DecimalField(
        "Significant loss from (mg)",
        max_digits=10,
        decimal_places=2,
        default=_R.significant_loss_mg,
    )
    loss_pattern_count = models.PositiveSmallIntegerField(
        "Shortfalls that make a pattern", default=_R.loss_pattern_count
    )
    loss_notice_business_days = models.PositiveSmallIntegerField(
        "Loss notice due within (business days)", default=_R.loss_notice_business_days
    )
    investigation_days = models.PositiveSmallIntegerField(
        "Days to resolve a discrepancy", default=_R.investigation_days
    )
    multi_dose_open_days = models.PositiveSmallIntegerField(
        "Opened multi-dose vial usable for (days)", default=_R.multi_dose_open_days
    )
    record_retention_years = models.PositiveSmallIntegerField(
        "Records kept for (years)", default=_R.record_retention_years
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Ledger settings of clinic {self.clinic_id}"

    def rules(self) -> core.LedgerRules:
        return core.LedgerRules(
            **{name: getattr(self, name) for name in core.LedgerRules.__dataclass_fields__}
        )


class Product(ClinicalRecord):
    class Substance(models.TextChoices):
        KETAMINE = "ketamine", "Ketamine"
        ESKETAMINE = "esketamine", "Esketamine"

    class Form(models.TextChoices):
        VIAL = core.Form.VIAL.value, "Vial (injection)"
        DEVICE = core.Form.DEVICE.value, "Nasal spray device"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    substance = models.CharField(max_length=20, choices=Substance.choices)
    schedule = models.CharField(max_length=5, default="III")
    form = models.CharField(max_length=10, choices=Form.choices)
    strength_mg = models.DecimalField(
        "Strength (mg per mL or per device)", max_digits=8, decimal_places=2
    )
    container_units = models.DecimalField(
        "Per container (mL or devices)", max_digits=8, decimal_places=2
    )
    container_name = models.CharField(max_length=20, default="vial")
    ndc = models.CharField("NDC", max_length=20, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["substance", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="ledger_product_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def spec(self) -> core.ProductSpec:
        return core.ProductSpec(core.Form(self.form), self.strength_mg, self.container_units)


class Location(ClinicalRecord):
    class Kind(models.TextChoices):
        SAFE = "safe", "Safe"
        CART = "cart", "Cart"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SAFE)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="ledger_location_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Lot(ClinicalRecord):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(max_length=60)
    expiry = models.DateField()

    class Meta:
        ordering = ["expiry"]
        constraints = [
            models.UniqueConstraint(fields=["product", "lot_number"], name="ledger_lot_number"),
        ]

    def __str__(self) -> str:
        return f"{self.product} lot {self.lot_number}"


class Balance(models.Model):
    """Stock of one lot at one location. Locked (SELECT ... FOR UPDATE) by every entry that
    moves it, so concurrent withdrawals from one lot are serialised and never overdraw."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    quantity_mg = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lot", "location"], name="ledger_balance_lot_location"),
            models.CheckConstraint(
                condition=models.Q(quantity_mg__gte=0), name="ledger_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot} at {self.location}: {self.quantity_mg} mg"


class LedgerChainHead(models.Model):
    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.clinic_id}@{self.sequence}"


class LedgerEntry(models.Model):
    """One append-only ledger entry, chained per clinic (ketacare.audit.chain's hashing)."""

    class Kind(models.TextChoices):
        RECEIPT = core.Kind.RECEIPT.value, core.KIND_LABELS[core.Kind.RECEIPT]
        TRANSFER = core.Kind.TRANSFER.value, core.KIND_LABELS[core.Kind.TRANSFER]
        WITHDRAWAL = core.Kind.WITHDRAWAL.value, core.KIND_LABELS[core.Kind.WITHDRAWAL]
        ADMINISTRATION = core.Kind.ADMINISTRATION.value, core.KIND_LABELS[core.Kind.ADMINISTRATION]
        WASTE = core.Kind.WASTE.value, core.KIND_LABELS[core.Kind.WASTE]
        RETURN = core.Kind.RETURN.value, core.KIND_LABELS[core.Kind.RETURN]
        DESTRUCTION = core.Kind.DESTRUCTION.value, core.KIND_LABELS[core.Kind.DESTRUCTION]
        LOSS = core.Kind.LOSS.value, core.KIND_LABELS[core.Kind.LOSS]
        COUNT_ADJUSTMENT = (
            core.Kind.COUNT_ADJUSTMENT.value,
            core.KIND_LABELS[core.Kind.COUNT_ADJUSTMENT],
        )
        REVERSAL = core.Kind.REVERSAL.value, core.KIND_LABELS[core.Kind.REVERSAL]

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="entries")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Positive, except a count adjustment (signed). stock_delta is what the entry did to
    # the lot's stock at `location`.
    quantity_mg = models.DecimalField(max_digits=12, decimal_places=2)
    stock_delta_mg = models.DecimalField(max_digits=12, decimal_places=2)
    containers = models.PositiveIntegerField(null=True, blank=True)
    session = models.ForeignKey(
        "treatment.TreatmentSession",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    administration = models.ForeignKey(
        "treatment.Administration",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    witness = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    witness_method = models.CharField(max_length=20, blank=True)  # password, otp
    second_witness = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, related_name="reversed_by", null=True, blank=True
    )
    supplier_name = models.CharField(max_length=200, blank=True)
    supplier_address = models.CharField(max_length=300, blank=True)
    supplier_registration = models.CharField(max_length=20, blank=True)
    invoice = models.CharField(max_length=60, blank=True)
    method = models.CharField(max_length=120, blank=True)  # destruction or waste manner
    discovered_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["clinic", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "sequence"], name="ledger_sequence_per_clinic"
            )
        ]
        indexes = [
            models.Index(fields=["clinic", "session"]),
            models.Index(fields=["clinic", "kind", "occurred_at"]),
            models.Index(fields=["lot", "location", "sequence"]),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.quantity_mg} mg"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Ledger entries are append-only: record a reversal instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Ledger entries are append-only and cannot be deleted.")

    def chain_payload(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in (
                "clinic_id",
                "sequence",
                "kind",
                "occurred_at",
                "actor_id",
                "lot_id",
                "location_id",
                "to_location_id",
                "quantity_mg",
                "stock_delta_mg",
                "containers",
                "session_id",
                "administration_id",
                "patient_id",
                "witness_id",
                "witness_method",
                "second_witness_id",
                "reverses_id",
                "supplier_name",
                "supplier_address",
                "supplier_registration",
                "invoice",
                "method",
                "discovered_on",
                "reason",
            )
        } | {"quantity_mg": _two(self.quantity_mg), "stock_delta_mg": _two(self.stock_delta_mg)}


def _two(value: Decimal) -> str:
    return f"{Decimal(value).quantize(core.HUNDREDTH)}"


class Count(ClinicalRecord):
    """A blind two-person count of one location: the counter enters what they see before
    the expected figures are shown."""

    class Kind(models.TextChoices):
        SHIFT = "shift", "Shift count"
        DAILY = "daily", "Daily count"
        INITIAL = "initial", "Initial inventory"
        BIENNIAL = "biennial", "Biennial inventory"

    class Timing(models.TextChoices):
        OPENING = "opening", "Opening of business"
        CLOSE = "close", "Close of business"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    timing = models.CharField(max_length=10, choices=Timing.choices, default=Timing.CLOSE)
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-counted_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.counted_at:%Y-%m-%d}"


class CountLine(ClinicalRecord):
    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    expected_mg = models.DecimalField(max_digits=12, decimal_places=2)
    counted_mg = models.DecimalField(max_digits=12, decimal_places=2)

    @property
    def discrepancy_mg(self) -> Decimal:
        return self.counted_mg - self.expected_mg

    def __str__(self) -> str:
        return f"{self.lot}: {self.counted_mg} of {self.expected_mg} mg"


class Investigation(ClinicalRecord):
    """A discrepancy to resolve: an owner, a deadline, the resolution with a second
    signature; a significant loss carries the DEA Form 106 fields."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    count_line = models.ForeignKey(
        CountLine, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    discrepancy_mg = models.DecimalField(max_digits=12, decimal_places=2)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    significant_loss = models.BooleanField(default=False)
    notice_due_on = models.DateField(null=True, blank=True)
    form_106 = models.JSONField(default=dict, blank=True)
    resolution = models.CharField(max_length=500, blank=True)
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"Investigation {self.lot} {self.discrepancy_mg} mg"
