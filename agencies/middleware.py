"""The acting agency (agencies.roles.ACTING_SESSION_KEY) of a person with roles in several agencies."""

from .roles import ACTING_SESSION_KEY, set_acting_agency


class ActingAgencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(ACTING_SESSION_KEY):
            user = request.user
            if user.is_authenticated:
                set_acting_agency(user, session[ACTING_SESSION_KEY])
        return self.get_response(request)
