"""A site whose app labelled ``forum`` is not the bundled forum (as on a django-machina
site), run in a subprocess by tests/commerce/test_thread_migration.py: the plugin's
migrations must apply there and never name the bundled forum's threads. Never import
these modules in the main test run: their models would join the bundled ``forum`` app."""
