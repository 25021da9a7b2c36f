from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "ketacare.consent"
    verbose_name = "E-consent"
