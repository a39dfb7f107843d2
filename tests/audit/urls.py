"""The site's URLs plus the history pages at ``audit/``, included or not by the site yet."""

from django.urls import include, path

from config.urls import urlpatterns as site

urlpatterns = [path("audit/", include("workflows.audit_urls")), *site]
