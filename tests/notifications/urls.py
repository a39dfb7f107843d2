"""The project's URLs with the notification pages at the prefix the project includes them at."""

from django.urls import include, path

from config.urls import urlpatterns as project

urlpatterns = [path("notifications/", include("workflows.notification_urls")), *project]
