"""Staff tip-off pages, included at ``hazards/tip-offs/`` in the ``hazards`` namespace (so no ``app_name`` here)."""

from django.urls import path

from . import views_tipoffs as views

urlpatterns = [
    path("", views.tipoff_list, name="tipoff_list"),
    path("export/", views.tipoff_export, name="tipoff_export"),
    path("<int:pk>/", views.tipoff_detail, name="tipoff_detail"),
    path("<int:pk>/triage/", views.tipoff_triage, name="tipoff_triage"),
    path("<int:pk>/reject/", views.tipoff_reject, name="tipoff_reject"),
    path("<int:pk>/verify/", views.tipoff_verify, name="tipoff_verify"),
    path("<int:pk>/reward/", views.tipoff_reward, name="tipoff_reward"),
]
