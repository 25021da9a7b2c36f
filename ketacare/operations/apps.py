from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "ketacare.operations"
    label = "operations"
    verbose_name = "Operations"
