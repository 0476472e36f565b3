"""Staff by decree: who may give which role where, and the appointments that do it.

An agency admin manages the staff of its own subtree: invites them by e-mail, gives and changes their
roles and takes them back, and deactivates accounts that work nowhere else; national admins do so
everywhere (and alone give national roles). Nobody gives a role above their own or outside their
subtree. Every step is an Appointment with its decree (SK) — number, date, optional PDF checked like
any upload — sealed into the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Agency, Appointment, Invitation, Membership, Role
from .roles import is_national_admin, national_roles, staff_agencies

log = logging.getLogger(__name__)
User = get_user_model()

# The roles an agency admin gives inside its subtree (its own included: a deputy admin is not above it).
AGENCY_GRANTABLE = (Role.AGENCY_ADMIN, Role.UNIT_ADMIN, Role.LIAISON_OFFICER, Role.HEAD, Role.DEVELOPER)
INVITATION_DAYS = 7


class StaffingError(Exception):
    pass


def admin_agencies(user) -> list[Agency]:
    """The agencies whose subtrees `user` administers (national admins: None means everywhere)."""
    return staff_agencies(user, {Role.AGENCY_ADMIN})


def may_manage(user, agency: Agency) -> bool:
    """Whether `user` manages the staff of `agency`."""
    if is_national_admin(user):
        return True
    return any(agency.is_in_subtree_of(a) for a in admin_agencies(user))


def may_see_decree(user, appointment: Appointment) -> bool:
    """Who may open an appointment's decree PDF: whoever manages the staff of its agency (its admins and
    those of the agencies above; national admins), national supervisors, and the appointee."""
    if not getattr(user, "is_authenticated", False):
        return False
    if appointment.user_id is not None and appointment.user_id == user.pk:
        return True
    return Role.SUPERVISOR in national_roles(user) or may_manage(user, appointment.agency)


def grantable_roles(user) -> tuple[str, ...]:
    if is_national_admin(user):
        return tuple(Role.values)
    return AGENCY_GRANTABLE if admin_agencies(user) else ()


def check_grant(user, agency: Agency, role: str) -> None:
    """Refuse (StaffingError, in the user's language) a role above the user's own or outside their subtree."""
    if not may_manage(user, agency):
        raise StaffingError(_("Anda hanya dapat mengelola staf instansi di bawah kewenangan Anda."))
    if role not in grantable_roles(user):
        raise StaffingError(_("Anda tidak dapat memberikan peran yang lebih tinggi dari peran Anda sendiri."))
    if not agency.is_active:
        raise StaffingError(_("Instansi ini tidak aktif."))


def _decree(appointment: Appointment, checked_file) -> None:
    """Store the decree's PDF (already checked by complaints.uploads.check_upload) with the appointment."""
    if checked_file is not None:
        appointment.decree_file.save(f"sk-{secrets.token_hex(6)}.pdf", ContentFile(checked_file.clean_data), save=False)


def _record(*, by, action, agency, decree, user=None, email="", role="", previous_role="") -> Appointment:
    appointment = Appointment(
        action=action,
        user=user,
        email=email,
        agency=agency,
        role=role,
        previous_role=previous_role,
        decree_number=decree["number"],
        decree_date=decree["date"],
        by=by,
    )
    _decree(appointment, decree.get("file"))
    appointment.save()
    return appointment


def make_staff(user) -> None:
    """Whoever holds a role at an agency is staff: they open the admin (and pass the second factor). Every
    way a membership is given calls this: grant, an accepted invitation, the admin's memberships."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


@transaction.atomic
def grant(by, user, agency: Agency, role: str, decree: dict) -> Membership:
    """Give an existing account a role at an agency."""
    check_grant(by, agency, role)
    membership, created = Membership.objects.get_or_create(user=user, agency=agency, role=role)
    if not created:
        raise StaffingError(_("Pegawai ini sudah memegang peran tersebut di instansi ini."))
    make_staff(user)
    _record(by=by, action=Appointment.Action.GRANT, agency=agency, decree=decree, user=user, role=role)
    return membership


@transaction.atomic
def change_role(by, membership: Membership, role: str, decree: dict) -> Membership:
    check_grant(by, membership.agency, membership.role)  # the role held now must be theirs to take
    check_grant(by, membership.agency, role)
    if Membership.objects.filter(user=membership.user, agency=membership.agency, role=role).exists():
        raise StaffingError(_("Pegawai ini sudah memegang peran tersebut di instansi ini."))
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    _record(
        by=by,
        action=Appointment.Action.CHANGE,
        agency=membership.agency,
        decree=decree,
        user=membership.user,
        role=role,
        previous_role=previous,
    )
    return membership


@transaction.atomic
def revoke(by, membership: Membership, decree: dict) -> None:
    check_grant(by, membership.agency, membership.role)
    _record(
        by=by,
        action=Appointment.Action.REVOKE,
        agency=membership.agency,
        decree=decree,
        user=membership.user,
        previous_role=membership.role,
    )
    membership.delete()


@transaction.atomic
def deactivate(by, user, agency: Agency, decree: dict) -> None:
    """Deactivate an account whose every role lies in `by`'s reach (its sessions end at once: an
    inactive user is refused by the authentication backend); its memberships stay, for the record."""
    if user.pk == by.pk:
        raise StaffingError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    held = list(Membership.objects.filter(user=user).select_related("agency"))
    if not held or any(not may_manage(by, m.agency) or m.role not in grantable_roles(by) for m in held):
        raise StaffingError(
            _("Akun ini juga memegang peran di luar kewenangan Anda; cabut peran di instansi Anda saja.")
        )
    if not may_manage(by, agency):
        raise StaffingError(_("Anda hanya dapat mengelola staf instansi di bawah kewenangan Anda."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    _record(by=by, action=Appointment.Action.DEACTIVATE, agency=agency, decree=decree, user=user)


# --- Invitations ---


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invite(by, email: str, agency: Agency, role: str, decree: dict) -> tuple[Invitation, str]:
    """Invite a person by e-mail to a role; returns the invitation and the link's token (sent by mail
    after the commit; the link sets a password, then the second factor, and gives the role)."""
    check_grant(by, agency, role)
    email = User.objects.normalize_email(email).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        raise StaffingError(
            _("Sudah ada akun dengan e-mail ini: berikan perannya langsung dari daftar staf, tanpa undangan.")
        )
    appointment = _record(by=by, action=Appointment.Action.INVITE, agency=agency, decree=decree, email=email, role=role)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        email=email,
        agency=agency,
        role=role,
        token_hash=_hash(token),
        appointment=appointment,
        invited_by=by,
        created_at=now,
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    transaction.on_commit(lambda: _mail_invitation(invitation, token))
    return invitation, token


def invitation_url(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("accounts:invitation", args=[token])


def _mail_invitation(invitation: Invitation, token: str) -> None:
    subject = _("Undangan pengelola pengaduan LAPOR!: %(agency)s") % {"agency": invitation.agency.name}
    body = _(
        "Anda diangkat sebagai %(role)s di %(agency)s. Buka tautan ini dalam %(days)s hari untuk membuat kata "
        "sandi dan mengaktifkan verifikasi dua langkah:\n\n%(url)s\n\nTautan hanya dapat dipakai sekali."
    ) % {
        "role": invitation.get_role_display(),
        "agency": invitation.agency.name,
        "days": INVITATION_DAYS,
        "url": invitation_url(token),
    }
    try:
        send_mail(subject, body, None, [invitation.email])
    except Exception:  # the mail server is down: the admin can invite again; nothing else is lost
        log.warning("Invitation mail to %s failed", invitation.email, exc_info=True)


def open_invitation(token: str) -> Invitation | None:
    """The unused, unexpired invitation of this token, or None."""
    return (
        Invitation.objects.select_related("agency")
        .filter(token_hash=_hash(token or ""), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


@transaction.atomic
def accept(token: str, *, full_name: str, password: str):
    """Use an invitation once: create the account with its password and give the role."""
    invitation = Invitation.objects.select_for_update().filter(pk=getattr(open_invitation(token), "pk", None)).first()
    if invitation is None or invitation.accepted_at is not None:
        raise StaffingError(_("Tautan undangan ini tidak berlaku lagi (sudah dipakai atau kedaluwarsa)."))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise StaffingError(_("Sudah ada akun dengan e-mail ini; masuk dengan akun itu."))
    # The link came to this address: it is verified.
    user = User.objects.create_user(invitation.email, password, full_name=full_name, is_staff=True, email_verified=True)
    Membership.objects.create(user=user, agency=invitation.agency, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user
