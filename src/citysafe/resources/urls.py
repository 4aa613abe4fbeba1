from django.urls import path

from . import views

app_name = "resources"
urlpatterns = [
    path("", views.resource_list, name="resource_list"),
    path("new/", views.resource_create, name="resource_create"),
    path("<int:pk>/", views.resource_detail, name="resource_detail"),
    path("map/", views.resource_map, name="resource_map"),
    path("nearest/", views.nearest_panel, name="nearest"),
    path("dispatches/", views.dispatch_create, name="dispatch_create"),
    path("dispatches/<int:pk>/advance/", views.dispatch_advance, name="dispatch_advance"),
    path("import/", views.import_page, name="import"),
    path("import/template/", views.import_template, name="import_template"),
]
