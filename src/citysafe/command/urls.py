from django.urls import path

from . import views

app_name = "command"
urlpatterns = [
    path("", views.command_map, name="map"),
    path("panel/", views.panel, name="panel"),
    path("incidents/<int:pk>/popup/", views.incident_popup, name="incident_popup"),
]
