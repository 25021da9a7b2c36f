from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ketacare.ledger"
    label = "ledger"
    verbose_name = "Controlled-substance ledger"

    def ready(self) -> None:
        # The seam into signing: a session whose controlled-substance record is unbalanced
        # is not signed (only in a clinic that tracks its stock here; docs/ledger.md).
        from ketacare.ledger.services import sign_blockers
        from ketacare.treatment.services import SIGN_CHECKS

        if sign_blockers not in SIGN_CHECKS:
            SIGN_CHECKS.append(sign_blockers)
