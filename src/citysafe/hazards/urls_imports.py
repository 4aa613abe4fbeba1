"""Excel imports of hazard ledgers and risk points, mounted at /hazards/imports/ in the ``hazards`` namespace."""

from django.urls import path

from . import views_imports

urlpatterns = [
    path("", views_imports.import_new, name="import_new"),
    path("<int:pk>/", views_imports.import_detail, name="import_detail"),
    path("<int:pk>/progress/", views_imports.import_progress, name="import_progress"),
    path("template/<str:kind>.xlsx", views_imports.import_template, name="import_template"),
]
