"""URLs of the django-machina example site: machina's forum at the root, the plugin's pages
under /deals/, allauth's pages and its headless app API, and the JSON API of shared/API.md
(the commerce part: config/api.py serves the bundled forum's part only beside that forum)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from machina import urls as machina_urls

from community_commerce.views.language import set_language
from community_commerce.views.links import visit as share_link_visit
from config.api import api, unknown_path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/", unknown_path),
    # (step) the plugin's language switch keeps a member's choice for its emails
    path("i18n/setlang/", set_language, name="set_language"),
    # (step) the plugin's pages: offer form, my deals, merchant dashboard, notices
    path("deals/", include("community_commerce.urls")),
    path("r/<str:code>", share_link_visit, name="share_link"),  # (step) a share link: short, at the root
    path("", include(machina_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns() + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
