"""A django-machina forum with the commerce plugin installed: `make run-machina`.

Its settings (settings.py) start from the project's (config/settings.py: SQLite and an
embedded Redis by default, the same environment variables) and swap the bundled forum
for machina. Run it under DJANGO_SETTINGS_MODULE=examples.machina_site.settings; it never
loads the bundled forum (machina's forum app has the same label, ``forum``)."""
