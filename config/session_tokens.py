"""allauth's session-token strategy, with one cache read per API call instead of two.

allauth's own SessionTokenStrategy asks whether the session exists, then loads it: two
round trips to Redis on every call an app makes. Loading it once says both (a missing or
expired session comes back without a key), as allauth's own ``sessionkit.lookup_session``
does. Named by ``HEADLESS_TOKEN_STRATEGY`` in the settings.
"""

from allauth.headless.internal import sessionkit
from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy


class OneReadSessionTokenStrategy(SessionTokenStrategy):
    def lookup_session(self, session_token):
        return sessionkit.lookup_session(session_token)
