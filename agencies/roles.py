"""Who works where: a user's memberships and the roles and agencies they give.

The agencies, accounts and complaints apps all ask these questions; scoping reports to those
agencies is complaints/access.py's job.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from .models import Membership, Role, TrainingSeat

# The agency a person with roles in several agencies acts for (its pk in the session; none: all of
# them). ActingAgencyMiddleware puts it on request.user; memberships() then answers with the roles held
# at that agency only, so every queue, dashboard and export scoped through this module follows it.
ACTING_SESSION_KEY = "lapor_acting_agency"


def holds_membership_expression():
    """Whether a user (the outer row) holds any membership, any role: read with the request's user."""
    return Exists(Membership.objects.filter(user_id=OuterRef("pk")))


def note_holds_membership(user, held) -> None:
    """The request's user was read with whether they hold a membership (accounts/request_user.py): one
    who holds none has no memberships to load — a citizen's pages pay no query for staff reach."""
    user.lapor_holds_membership = bool(held)
    if not held:
        user._lapor_memberships = []


def all_memberships(user) -> list[Membership]:
    """Every membership of the user with its agency, whatever agency they act for; loaded once."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_lapor_memberships", None)
    if cached is None:
        # Whether the user also holds a training seat rides along, so staff pay no query for training_seats.
        seats = TrainingSeat.objects.filter(user_id=OuterRef("user_id"))
        cached = list(
            user.memberships.select_related("agency").exclude(role=Role.DEVELOPER).annotate(in_training=Exists(seats))
        )
        user._lapor_memberships = cached
    return cached


def memberships(user) -> list[Membership]:
    """The user's memberships at the agency they act for (all of them when they act for all)."""
    held = all_memberships(user)
    acting = getattr(user, "lapor_acting_agency_id", None)
    if acting:
        mine = [m for m in held if m.agency_id == acting]
        if mine:
            return mine
    return held


def acting_choices(user) -> list:
    """The agencies the user may act for, in tree order (a switch is offered from two on)."""
    agencies = {m.agency_id: m.agency for m in all_memberships(user)}
    return sorted(agencies.values(), key=lambda a: a.path)


def acting_agency(user):
    acting = getattr(user, "lapor_acting_agency_id", None)
    return next((a for a in acting_choices(user) if a.pk == acting), None) if acting else None


def set_acting_agency(user, agency_id: int | None) -> None:
    """Act for one of the user's agencies (None: all of them) on this user object."""
    user.lapor_acting_agency_id = agency_id


def national_roles(user) -> set[str]:
    roles = {m.role for m in memberships(user) if m.role in Membership.NATIONAL_ROLES}
    if getattr(user, "is_superuser", False):
        roles.add(Role.NATIONAL_ADMIN)
    return roles


def is_national_admin(user) -> bool:
    return Role.NATIONAL_ADMIN in national_roles(user)


def training_seats(user) -> list[TrainingSeat]:
    """The user's roles in training sandboxes (they count for practice reports only), loaded once.
    A seat makes its holder staff (is_staff, set when it is given): citizens pay no query for this."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff", False):
        return []
    cached = getattr(user, "_lapor_training_seats", None)
    held = all_memberships(user) if cached is None else None
    if held and not held[0].in_training:
        cached = user._lapor_training_seats = []
    if cached is None:
        cached = list(user.training_seats.select_related("agency"))
        user._lapor_training_seats = cached
    return cached


def is_staff_member(user) -> bool:
    return bool(memberships(user)) or getattr(user, "is_superuser", False) or bool(training_seats(user))


def staff_agencies(user, roles=None) -> list:
    """The agencies whose subtrees the user works on (optionally only in some roles)."""
    return [
        m.agency
        for m in memberships(user)
        if m.role not in Membership.NATIONAL_ROLES and (roles is None or m.role in roles)
    ]
