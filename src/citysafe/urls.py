"""Root URLs: pages, the API under /api/v1, admin, auth and language switching."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.static import serve

from .api import api

urlpatterns = [
    path("", include("citysafe.core.urls")),
    path("workplans/", include("citysafe.workplans.urls")),
    path("hazards/", include("citysafe.hazards.urls")),
    path("tipoff/", include("citysafe.hazards.urls_public")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Evidence files: served by Django behind login in the embedded setup (put a web server in front in production).
    path("media/<path:path>", login_required(serve), {"document_root": settings.MEDIA_ROOT}),
]
