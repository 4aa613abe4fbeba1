"""Scorecard and report pages, included by ``evaluation/urls.py`` (namespace ``evaluation``)."""

from django.urls import path

from . import views_scorecard as views

urlpatterns = [
    path("scorecards/", views.scorecard_list, name="scorecard_list"),
    path("scorecards/weights/", views.weights_edit, name="scorecard_weights"),
    path("scorecards/<int:org_id>/", views.scorecard_unit, name="scorecard_unit"),
    path("reports/<int:org_id>.<str:fmt>", views.report_download, name="report_download"),
]
