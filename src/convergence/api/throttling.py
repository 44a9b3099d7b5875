"""Rate limit per personal access token (per user for session requests, per address otherwise).

A fixed window counted with the cache's atomic increment: with the cache in Redis (the production
profile) every process counts in the same place, and two requests at the same instant cannot both
read the same count (DRF's default throttle reads a history, appends, writes back: a race that
lets concurrent requests through). At most twice the rate can pass across a window boundary.
"""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .models import PersonalAccessToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api_token"
    num_requests: int
    duration: int

    def get_cache_key(self, request, view):
        if isinstance(request.auth, PersonalAccessToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        base_key = self.get_cache_key(request, view)
        if base_key is None:
            return True
        now = int(self.timer())
        window = now // self.duration
        key = f"{base_key}:{window}"
        self.wait_seconds = (window + 1) * self.duration - now
        self.cache.add(key, 0, self.duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's key expired between add and incr
            self.cache.add(key, 1, self.duration + 1)
            count = 1
        return count <= self.num_requests

    def wait(self) -> float:
        return float(self.wait_seconds)
