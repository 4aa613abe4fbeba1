"""Root URLs: pages, the API under /api/v1, admin, auth and language switching."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .api import api

urlpatterns = [
    path("", include("citysafe.core.urls")),
    path("workplans/", include("citysafe.workplans.urls")),
    path("hazards/", include("citysafe.hazards.urls")),
    path("tipoff/", include("citysafe.hazards.urls_public")),
    path("monitoring/", include("citysafe.monitoring.urls")),
    path("early-warning/", include("citysafe.early_warning.urls")),
    path("incidents/", include("citysafe.incidents.urls")),
    path("resources/", include("citysafe.resources.urls")),
    path("plans/", include("citysafe.plans.urls")),
    path("records/", include("citysafe.records.urls")),
    path("evaluation/", include("citysafe.evaluation.urls")),
    path("command/", include("citysafe.command.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # No public /media/: uploaded files are served by views that check the owning record is visible to the user.
]
