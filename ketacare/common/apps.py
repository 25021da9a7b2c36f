from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "ketacare.common"
    label = "common"
