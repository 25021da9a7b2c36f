from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "ketacare.eligibility"
    label = "eligibility"
    verbose_name = "Treatment history and eligibility screening"
