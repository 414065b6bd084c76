"""Members' languages, kept by the plugin for forums that keep none (adapters/base.py
``member_language``): the language a member last chose with the language form."""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import check_for_language, get_supported_language_variant

from community_commerce.models import MemberLanguage


def remember(*, user, language) -> str | None:
    """Keep ``language`` (a code the site offers) as ``user``'s; the code kept, or None
    when the code is not one of settings.LANGUAGES (nothing is changed)."""
    if not (language and check_for_language(language)):
        return None
    try:
        code = get_supported_language_variant(language)
    except LookupError:
        return None
    MemberLanguage.objects.update_or_create(user_id=user.pk, defaults={"language": code, "updated_at": timezone.now()})
    return code


def of(user_ids) -> dict[int, str]:
    """``{user id: language}``: the chosen one, else the site's default."""
    languages = dict.fromkeys(user_ids, settings.LANGUAGE_CODE)
    languages.update(MemberLanguage.objects.filter(user_id__in=list(languages)).values_list("user_id", "language"))
    return languages
