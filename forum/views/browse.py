"""Reading the forum: index, category, thread, profile, search."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render

from forum import extensions, markdown
from forum.forms import MoveForm, ReasonForm, ReplyForm
from forum.models import Category, Post, Thread
from forum.permissions import can_edit, can_reply, can_start_thread, is_moderator
from forum.services.search import search_posts
from forum.services.subscriptions import is_watching
from forum.views.common import get_thread


def index(request):
    categories = Category.objects.annotate(thread_count=Count("threads", filter=Q(threads__deleted_at__isnull=True)))
    latest = list(
        Thread.objects.visible_to(request.user)
        .select_related("category", "author", "last_poster")
        .order_by("-last_activity_at")[:10]
    )
    extensions.attach_thread_list_badges(latest)
    return render(request, "forum/index.html", {"categories": categories, "latest": latest})


def category_detail(request, slug):
    category = get_object_or_404(Category, slug=slug)
    threads = (
        Thread.objects.visible_to(request.user)
        .filter(category=category)
        .select_related("author", "last_poster")
        .listing_order()
    )
    page = Paginator(threads, settings.FORUM_THREADS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    extensions.attach_thread_list_badges(page.object_list)
    return render(
        request,
        "forum/category.html",
        {"category": category, "page": page, "can_start": can_start_thread(request.user, category)},
    )


def _page_of_post(request, thread, post_id):
    post_ids = Post.objects.visible_to(request.user).filter(thread=thread)
    if not post_ids.filter(pk=post_id).exists():
        return None
    before = post_ids.filter(pk__lt=post_id).count()
    return before // settings.FORUM_POSTS_PER_PAGE + 1


def thread_detail(request, pk, slug=None):
    thread = get_thread(request, pk)
    post_id = request.GET.get("post", "")
    if post_id.isascii() and post_id.isdigit():
        number = _page_of_post(request, thread, int(post_id))
        if number:
            suffix = f"?page={number}" if number > 1 else ""
            return redirect(f"{thread.get_absolute_url()}{suffix}#post-{post_id}")
    if slug != thread.slug:
        query = request.GET.urlencode()
        return redirect(thread.get_absolute_url() + (f"?{query}" if query else ""), permanent=not query)

    user = request.user
    posts = Post.objects.visible_to(user).filter(thread=thread).select_related("author")
    page = Paginator(posts, settings.FORUM_POSTS_PER_PAGE).get_page(request.GET.get("page"))
    posts = list(page.object_list)
    badges = extensions.user_badges(p.author_id for p in posts)
    for post in posts:
        post.thread = thread
        post.author_badges = badges.get(post.author_id, [])
        post.can_edit = can_edit(user, post)

    initial = {}
    quote_id = request.GET.get("quote", "")
    if quote_id.isascii() and quote_id.isdigit() and user.is_authenticated:
        quoted = Post.objects.visible_to(user).filter(thread=thread, pk=quote_id).select_related("author").first()
        if quoted:
            name = quoted.author.username if quoted.author else "?"
            initial["body"] = markdown.quote(author_name=name, body=quoted.body)

    moderator = is_moderator(user)
    context = {
        "thread": thread,
        "page": page,
        "posts": posts,
        "first_post_id": posts[0].pk if posts and page.number == 1 else None,
        "can_reply": can_reply(user, thread),
        "reply_form": ReplyForm(initial=initial),
        "watching": is_watching(user=user, thread=thread),
        "move_form": MoveForm(initial={"category": thread.category_id}) if moderator else None,
        "reason_form": ReasonForm() if moderator else None,
        "panels": extensions.thread_panels(request, thread),
    }
    extensions.thread_viewed(request, thread)
    return render(request, "forum/thread.html", context)


def profile(request, username):
    member = get_object_or_404(get_user_model(), username=username, is_active=True)
    threads = (
        Thread.objects.visible_to(request.user)
        .filter(author=member)
        .select_related("category")
        .order_by("-created_at")[:20]
    )
    posts = (
        Post.objects.visible_to(request.user)
        .filter(author=member, kind=Post.Kind.POST, thread__in=Thread.objects.visible_to(request.user).values("pk"))
        .select_related("thread")
        .order_by("-id")[:20]
    )
    post_count = Post.objects.filter(author=member, kind=Post.Kind.POST, deleted_at__isnull=True).count()
    context = {
        "member": member,
        "threads": threads,
        "posts": posts,
        "post_count": post_count,
        "badges": extensions.user_badges([member.pk]).get(member.pk, []),
        "panels": extensions.profile_panels(request, member),
    }
    return render(request, "forum/profile.html", context)


def search(request):
    query = request.GET.get("q", "").strip()
    results = search_posts(user=request.user, query=query)
    page = Paginator(results, 20).get_page(request.GET.get("page"))
    return render(request, "forum/search.html", {"query": query, "page": page})
