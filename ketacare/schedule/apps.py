from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "ketacare.schedule"
    label = "schedule"
    verbose_name = "Clinic schedule"
