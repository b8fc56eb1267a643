from django.contrib import admin
from django.urls import include, path

from config.api import api, api_docs

urlpatterns = [
    path("", include("shequn.organizations.urls")),
    path("members/", include("shequn.members.urls")),
    path("accounts/", include("shequn.accounts.urls")),
    path("audit/", include("shequn.audit.urls")),
    path("c/", include("shequn.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api-docs"),
    path("admin/", admin.site.urls),
]
