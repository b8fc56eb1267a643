from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path

from config.api import api, api_docs
from shequn.core.media import serve_media

# Swagger UI (served from this server) sets inline styles and shows data: images: allowed on
# the API docs page only; the rest of the site keeps the strict policy (config/settings.py).
api_docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})

urlpatterns = [
    path("", include("shequn.organizations.urls")),
    path("members/", include("shequn.members.urls")),
    path("accounts/", include("shequn.accounts.urls")),
    path("audit/", include("shequn.audit.urls")),
    path("activity/", include("shequn.activity.urls")),
    path("imports/members/", include("shequn.imports.member_urls")),
    path("imports/", include("shequn.imports.urls")),
    path("merges/", include("shequn.members.merge_urls")),
    path("invitations/", include("shequn.invitations.urls")),
    path("applications/", include("shequn.applications.urls")),
    path("payments/", include("shequn.payments.urls")),
    path("joining/", include("shequn.joining.urls")),
    path("ladder/", include("shequn.ladder.urls")),
    path("layers/", include("shequn.layers.urls")),
    path("recompute/", include("shequn.profiles.recompute_urls")),
    path("tags/", include("shequn.tags.urls")),
    path("segments/", include("shequn.segments.urls")),
    path("profiles/", include("shequn.profiles.urls")),
    path("points/", include("shequn.points.urls")),
    path("exit-reviews/", include("shequn.points.exit_urls")),
    path("leaderboards/", include("shequn.points.leaderboard_urls")),
    path("rewards/", include("shequn.rewards.urls")),
    # Member pages: the apps' own before the portal's catch-all <org>/<community>/ patterns.
    path("c/", include("shequn.invitations.portal_urls")),
    path("c/", include("shequn.applications.portal_urls")),
    path("c/", include("shequn.payments.portal_urls")),
    path("c/", include("shequn.joining.portal_urls")),
    path("c/", include("shequn.points.portal_urls")),
    path("c/", include("shequn.points.leaderboard_portal_urls")),
    path("c/", include("shequn.rewards.portal_urls")),
    path("c/", include("shequn.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("api/docs", api_docs_csp(api_docs), name="api-docs"),
    path("admin/", admin.site.urls),
    path("media/<path:path>", serve_media, name="media"),
]

# Styled error pages in the visitor's language (shequn.core.errors); CSRF_FAILURE_VIEW too.
handler400 = "shequn.core.errors.bad_request"
handler403 = "shequn.core.errors.permission_denied"
handler404 = "shequn.core.errors.page_not_found"
handler500 = "shequn.core.errors.server_error"
