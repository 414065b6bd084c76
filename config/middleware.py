"""Site middleware."""

from allauth.headless.internal.sessionkit import authenticate_by_x_session_token


class SessionTokenUserMiddleware:
    """Make ``request.user`` the member of an allauth ``X-Session-Token`` on API calls.

    Write endpoints authenticate through django-ninja (token, or cookie with
    CSRF); this lets the read endpoints, which anyone may call, see the same
    member (a moderator's app sees deleted threads, a buyer sees their claims).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request.headers.get("X-Session-Token")
        if token and request.path.startswith("/api/") and not request.user.is_authenticated:
            found = authenticate_by_x_session_token(token)
            if found:
                request.user = request.token_user = found[0]
        return self.get_response(request)
