"""The django-machina site's suite (examples/machina_site), run on its own:
``pytest --ds=tests.machina.settings tests/machina``. machina's forum app has the label
"forum", like the bundled forum's, so the two never share a pytest session."""
