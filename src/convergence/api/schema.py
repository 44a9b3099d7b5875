"""The OpenAPI schema documents the error responses every endpoint may give, in the one format."""

from drf_spectacular.openapi import AutoSchema

from .serializers import ErrorsSerializer

# 401/403: no or bad credentials; 404: not visible to the token's organisation (or a page
# number past the end); 429: the token's rate limit.
COMMON_ERRORS = ("400", "401", "403", "404", "429")


class ApiSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        for code in COMMON_ERRORS:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorsSerializer, code, direction=direction)
        return responses
