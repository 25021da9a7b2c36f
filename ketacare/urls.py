from __future__ import annotations

from django.urls import include, path

from ketacare.api.urls import api
from ketacare.operations.views import healthz, metrics_view
from ketacare.web.admin import admin_site

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", api.urls),
    path("admin/", admin_site.urls),
    path("fhir/r4/", include("ketacare.exchange.urls")),
    path("", include("ketacare.web.urls")),
]

handler404 = "ketacare.web.views.errors.not_found"
handler500 = "ketacare.web.views.errors.server_error"
