"""gunicorn's settings, for `make run` and for production (Procfile):
``gunicorn config.wsgi --config config/gunicorn.py``.

gthread workers: each process runs a few threads, so a request waiting on the
database (a SQLite write lock, a PostgreSQL row lock) or Redis does not hold up
the others, and the connections of a crowd are accepted and queued, not reset.
Sized from the machine's cores; WEB_CONCURRENCY and GUNICORN_THREADS override.
Listens on 0.0.0.0:$PORT; `make run` passes ``--bind 127.0.0.1:$PORT``.
"""

import os


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


cores = os.cpu_count() or 1

bind = [f"0.0.0.0:{os.environ.get('PORT') or 8000}"]
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2 * cores + 1)
threads = _int("GUNICORN_THREADS", 4)
backlog = 2048  # connections the kernel queues while every thread is busy
timeout = 60
graceful_timeout = 10
keepalive = 5
accesslog = "-"
errorlog = "-"
control_socket_disable = True  # one shared default path (~/.gunicorn) for every instance on the machine
