from django.contrib import admin

from forum.models import Category, ModerationLog, Notification, Post, Report, Thread


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "commerce_enabled", "who_can_start"]
    list_editable = ["position", "commerce_enabled"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "author", "reply_count", "pinned", "locked", "deleted_at"]
    list_filter = ["category", "pinned", "locked"]
    search_fields = ["title", "author__username"]
    raw_id_fields = ["author", "last_poster", "deleted_by"]
    list_select_related = ["category", "author"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "thread", "author", "kind", "created_at", "edit_count", "deleted_at"]
    list_filter = ["kind"]
    search_fields = ["body", "author__username"]
    raw_id_fields = ["thread", "author", "deleted_by"]
    readonly_fields = ["html"]
    list_select_related = ["thread", "author"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["post", "reporter", "status", "created_at", "handled_by"]
    list_filter = ["status"]
    raw_id_fields = ["post", "reporter", "handled_by"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "text", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "actor", "thread", "post"]


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "thread", "post", "reason"]
    list_filter = ["action"]
    raw_id_fields = ["actor", "thread", "post"]

    def has_change_permission(self, request, obj=None):
        return False
