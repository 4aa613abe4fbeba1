"""Manual warning and metrics URLs, included under the ``early_warning`` namespace (hence no ``app_name``)."""

from django.urls import path

from . import views_manual

urlpatterns = [
    path("manual/", views_manual.manual_list, name="manual_list"),
    path("manual/new/", views_manual.manual_new, name="manual_new"),
    path("manual/<int:pk>/", views_manual.manual_detail, name="manual_detail"),
    path("manual/<int:pk>/edit/", views_manual.manual_edit, name="manual_edit"),
    path("manual/<int:pk>/submit/", views_manual.manual_submit, name="manual_submit"),
    path("manual/<int:pk>/approve/", views_manual.manual_approve, name="manual_approve"),
    path("manual/<int:pk>/reject/", views_manual.manual_reject, name="manual_reject"),
    path("manual/<int:pk>/level/", views_manual.manual_change_level, name="manual_change_level"),
    path("manual/<int:pk>/delete/", views_manual.manual_delete, name="manual_delete"),
    path("metrics/", views_manual.metrics_page, name="metrics"),
]
