"""Who works where: a user's memberships and the roles and agencies they give.

The agencies, accounts and complaints apps all ask these questions; scoping reports to those
agencies is complaints/access.py's job.
"""

from __future__ import annotations

from .models import Membership, Role


def memberships(user) -> list[Membership]:
    """The user's memberships with their agencies, loaded once per user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_lapor_memberships", None)
    if cached is None:
        cached = list(user.memberships.select_related("agency").exclude(role=Role.DEVELOPER))
        user._lapor_memberships = cached
    return cached


def national_roles(user) -> set[str]:
    roles = {m.role for m in memberships(user) if m.role in Membership.NATIONAL_ROLES}
    if getattr(user, "is_superuser", False):
        roles.add(Role.NATIONAL_ADMIN)
    return roles


def is_national_admin(user) -> bool:
    return Role.NATIONAL_ADMIN in national_roles(user)


def is_staff_member(user) -> bool:
    return bool(memberships(user)) or getattr(user, "is_superuser", False)


def staff_agencies(user, roles=None) -> list:
    """The agencies whose subtrees the user works on (optionally only in some roles)."""
    return [
        m.agency
        for m in memberships(user)
        if m.role not in Membership.NATIONAL_ROLES and (roles is None or m.role in roles)
    ]
