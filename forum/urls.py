from django.urls import path

from forum.views import browse, members, moderation, posting

app_name = "forum"

urlpatterns = [
    path("", browse.index, name="index"),
    path("c/<slug:slug>/", browse.category_detail, name="category"),
    path("c/<slug:slug>/new/", posting.new_thread, name="new_thread"),
    path("t/<int:pk>/", browse.thread_detail, name="thread_goto"),
    path("t/<int:pk>/<str:slug>/", browse.thread_detail, name="thread"),
    path("t/<int:pk>/reply", posting.reply, name="reply"),
    path("t/<int:pk>/watch", members.toggle_watch, name="watch"),
    path("t/<int:pk>/mod/<str:action>", moderation.thread_action, name="thread_action"),
    path("p/<int:pk>/edit/", posting.edit_post, name="edit_post"),
    path("p/<int:pk>/history/", posting.post_history, name="post_history"),
    path("p/<int:pk>/report/", members.report_post, name="report_post"),
    path("p/<int:pk>/mod/<str:action>", moderation.post_action, name="post_action"),
    path("u/<str:username>/", browse.profile, name="profile"),
    path("search/", browse.search, name="search"),
    path("notifications/", members.notification_list, name="notifications"),
    path("notifications/<int:pk>/", members.notification_open, name="notification_open"),
    path("notifications/read-all", members.notifications_read_all, name="notifications_read_all"),
    path("settings/", members.preferences, name="preferences"),
    path("mod/reports/", moderation.report_queue, name="report_queue"),
    path("mod/reports/<int:pk>/<str:resolution>", moderation.report_handle, name="report_handle"),
]
