"""The language a member chose, for forums that keep none (django-machina): what the
plugin writes to them later (emails) is in that language. Kept by the plugin's
``set_language`` view (views/language.py), read by ForumAdapter.member_language."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class MemberLanguage(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True, related_name="+")
    language = models.CharField(max_length=15)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user_id}: {self.language}"
