from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "ketacare.exchange"
    label = "exchange"
    verbose_name = "Exchange (FHIR, imports, research exports)"
