from django.urls import include, path

from . import views

app_name = "early_warning"
urlpatterns = [
    path("", views.warning_list, name="warning_list"),
    path("active/", views.active_partial, name="active_partial"),
    path("active.geojson", views.active_geojson, name="active_geojson"),
    path("<int:pk>/", views.warning_detail, name="warning_detail"),
    path("<int:pk>/end/", views.warning_end, name="warning_end"),
    path("", include("citysafe.early_warning.urls_cap")),
    path("", include("citysafe.early_warning.urls_manual")),
    path("", include("citysafe.early_warning.urls_response")),
    path("", include("citysafe.early_warning.urls_noise")),
]
