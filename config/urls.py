from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from community_commerce.views.links import visit as share_link_visit
from config.api import api, unknown_path
from forum.views.members import set_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/", unknown_path),
    path("i18n/setlang/", set_language, name="set_language"),  # also stores a member's language
    path("i18n/", include("django.conf.urls.i18n")),
    path("deals/", include("community_commerce.urls")),
    path("r/<str:code>", share_link_visit, name="share_link"),  # a share link: short, at the root
    path("", include("forum.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
