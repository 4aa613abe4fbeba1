from django.urls import include, path

from . import views

app_name = "hazards"
urlpatterns = [
    path("", views.hazard_list, name="hazard_list"),
    path("new/", views.hazard_create, name="hazard_create"),
    path("<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("<int:pk>/transition/", views.hazard_transition, name="hazard_transition"),
    path("<int:pk>/extend/", views.hazard_extend, name="hazard_extend"),
    path("<int:pk>/attach/", views.hazard_attach, name="hazard_attach"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("triage/", views.triage_queue, name="triage_queue"),
    path("map/", views.hazard_map, name="hazard_map"),
    path("statistics/", views.statistics, name="statistics"),
    path("risk-points/", views.risk_point_list, name="risk_point_list"),
    path("risk-points/<int:pk>/", views.risk_point_detail, name="risk_point_detail"),
    path("tip-offs/", include("citysafe.hazards.urls_tipoffs")),
    path("imports/", include("citysafe.hazards.urls_imports")),
    path("determination/", include("citysafe.hazards.urls_determination")),
]
