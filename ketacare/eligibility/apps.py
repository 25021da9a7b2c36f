from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "ketacare.eligibility"
    label = "eligibility"
    verbose_name = "Treatment history and eligibility screening"

    def ready(self) -> None:
        from ketacare.eligibility.receivers import rescreen
        from ketacare.patients.signals import clinical_record_changed

        clinical_record_changed.connect(rescreen, dispatch_uid="eligibility-rescreen")
