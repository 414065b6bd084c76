"""Who reads the threads that carry offers: the top of a merchant's funnel.

Page views are counted in Redis and flushed here by the sweeper; a viewer is
written once per thread and day. Kept per thread (not per offer): one write
per view however many offers a thread carries; the dashboard sums the days of
each offer's life. Threads are plain ids (the forum adapter's), kept when a thread goes."""

from django.db import models


class ThreadViewDay(models.Model):
    """Page views of one thread on one day (flushed from the Redis counter)."""

    thread_id = models.BigIntegerField(db_index=True)
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread_id", "day"], name="cc_thread_view_day_once")]

    def __str__(self):
        return f"thread {self.thread_id} on {self.day}: {self.views} views"


class ThreadViewer(models.Model):
    """One viewer of a thread on a day: ``m:<member id>``, or for a visitor an
    HMAC of the session key (or of the address and browser when there is no
    session), never the session key itself."""

    thread_id = models.BigIntegerField(db_index=True)
    day = models.DateField()
    viewer = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread_id", "day", "viewer"], name="cc_thread_viewer_once")]
        indexes = [models.Index(fields=["day", "thread_id"], name="cc_thread_viewer_day")]

    def __str__(self):
        return f"{self.viewer} read thread {self.thread_id} on {self.day}"
