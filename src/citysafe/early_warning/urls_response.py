"""Response loop pages (included at the early-warning root)."""

from django.urls import path

from . import views_response as views

urlpatterns = [
    path("my/", views.my_calls, name="my_calls"),
    path("<int:pk>/ack/", views.warning_ack, name="warning_ack"),
    path("<int:pk>/close/", views.warning_close, name="warning_close"),
    path("<int:pk>/response/", views.response_panel, name="response_panel"),
    path("actions/<int:pk>/report/", views.action_report, name="action_report"),
    path("photos/<int:pk>/", views.execution_photo, name="execution_photo"),
    path("action-templates/", views.action_templates, name="action_templates"),
]
