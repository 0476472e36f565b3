"""The signed-in user of a request, read with what every page asks of them in the same query.

Every signed-in request reads its user (the session holds only the id). Each page then asked more of
that user in queries of its own: whether they hold any agency membership (staff reach, the second
factor) and, for the navigation's badge, how many notifications they have not read — three queries
where one does (issue #15: a signed-in citizen paid 5–8 ms of CPU more than an anonymous visitor).

The apps above accounts register those questions here (accounts imports none of them): a *fact* is
an expression on the user's row and what to do with its value on the loaded user. The facts are read
fresh from the database on every request, like the user row itself: nothing here is kept between
requests, so a membership given or taken, a notification written or read, a password changed or an
account deactivated is seen by the next request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from lapor.prepared import Prepared


@dataclass(frozen=True)
class Fact:
    name: str
    expression: Callable[[], object]  # builds the annotation (an Exists, a Subquery…) on the user's row
    apply: Callable[[object, object], None]  # (user, value): put the answer where its app looks for it


FACTS: dict[str, Fact] = {}


def add_fact(name: str, expression: Callable[[], object], apply: Callable[[object, object], None]) -> None:
    """Read `expression` with the request's user and hand its value to `apply(user, value)` (AppConfig.ready)."""
    FACTS[name] = Fact(name, expression, apply)


def annotation(name: str) -> str:
    return f"lapor_fact_{name}"


def _queryset(user_id):
    return (
        get_user_model()
        ._default_manager.filter(pk=user_id)
        .annotate(**{annotation(fact.name): fact.expression() for fact in FACTS.values()})
    )


# The statement is built by the ORM once per process (lapor/prepared.py: 2–3 ms of CPU a request
# otherwise, with the facts' subqueries); its row made into a user as the ORM's iteration makes it.
# Its plan is kept by PostgreSQL per connection: planning the facts' subqueries was about half of the
# statement's database CPU (issue #15); a row by its key has one plan whatever the id.
_STATEMENT = Prepared(lambda user_id: _queryset(user_id), keep_plan=True)


def load(user_id):
    """The user with this id and every registered fact applied to it, in one query; None when missing."""
    try:
        user_id = get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    found = _STATEMENT.objects(user_id=user_id)  # each fact's value set as its annotation's attribute
    if not found:
        return None
    user = found[0]
    for fact in FACTS.values():
        fact.apply(user, getattr(user, annotation(fact.name)))
    return user
