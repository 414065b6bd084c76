"""The bundled forum: categories, threads, posts, moderation, notifications.

A reusable app (label ``forum``). It never imports the commerce plugin; other
apps extend it through :mod:`forum.extensions`.
"""
