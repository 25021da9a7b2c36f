from __future__ import annotations

from django.urls import path

from ketacare.exchange import views

app_name = "fhir"

urlpatterns = [
    path("", views.metadata, name="root"),
    path("metadata", views.metadata, name="metadata"),
    path("Patient/$export", views.patient_export, name="patient-export"),
    path("Group/<str:group>/$export", views.group_export, name="group-export"),
    path("$export-status/<str:job_id>", views.export_status, name="export-status"),
    path(
        "$export-file/<str:job_id>/<str:resource_type>.ndjson",
        views.export_file,
        name="export-file",
    ),
    path("Patient/<str:id>/$everything", views.everything, name="everything"),
    path("<str:resource_type>/<str:id>", views.read, name="read"),
    path("<str:resource_type>", views.search_type, name="search"),
]
