from django.apps import AppConfig


class StubForumConfig(AppConfig):
    name = "tests.nonbundled.stub_forum"
    label = "forum"  # the label django-machina's forum app has too
    default_auto_field = "django.db.models.AutoField"
