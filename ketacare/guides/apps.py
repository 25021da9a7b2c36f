from django.apps import AppConfig


class GuidesConfig(AppConfig):
    name = "ketacare.guides"
    verbose_name = "Preparation and aftercare"
