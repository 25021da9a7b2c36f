from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "ketacare.notes"
    label = "notes"
    verbose_name = "Clinical and therapy notes"
