"""The language form's target on forums that keep no member language (django-machina):
Django's ``set_language`` (cookie, redirect), and for a signed-in member the choice kept
by the plugin, so its emails follow it (services/languages.py). Mount it at the URL
named ``set_language``."""

from django.views.i18n import set_language as django_set_language

from community_commerce.services import languages


def set_language(request):
    response = django_set_language(request)
    language = request.POST.get("language") if request.method == "POST" else None
    if language and request.user.is_authenticated:
        languages.remember(user=request.user, language=language)  # an unknown code is ignored, as Django does
    return response
