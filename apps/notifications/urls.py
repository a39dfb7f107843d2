"""Included by the project at ``notifications/``."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.notification_list, name="notifications"),
    path("<int:notification_id>/read/", views.notification_read, name="notification-read"),
    path("read/", views.notifications_read_all, name="notifications-read-all"),
]
