from django.urls import path

from . import views_determination

urlpatterns = [
    path("<int:pk>/", views_determination.determination_form, name="determination_form"),
]
