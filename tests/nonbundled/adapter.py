from community_commerce.adapters.base import ForumAdapter


class StubForumAdapter(ForumAdapter):
    """Only what a site needs to start: the stand-in forum has no threads."""
