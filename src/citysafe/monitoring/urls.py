from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("devices/", views.device_list, name="device_list"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
]
