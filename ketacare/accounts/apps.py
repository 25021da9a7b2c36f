from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketacare.accounts"
    label = "accounts"
    verbose_name = "Clinics and staff"

    def ready(self) -> None:
        # Failed sign-ins and lockouts reach the audit trail through these receivers.
        from ketacare.accounts import signin  # noqa: F401
