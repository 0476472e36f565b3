"""A role given in the Django admin (the agency's memberships inline) makes its holder staff, as
agencies.staffing.grant does: the new operator opens the admin."""

from django.test import Client
from django.urls import reverse

from accounts.models import User
from agencies.models import Membership, Role


def _change_data(response, memberships):
    """The agency's change form as the admin drew it, with `memberships` (dicts) as the inline's rows."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    (inline,) = [f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is Membership]
    prefix = inline.prefix
    initial = inline.initial_form_count()
    data.update({f"{prefix}-TOTAL_FORMS": len(memberships), f"{prefix}-INITIAL_FORMS": initial})
    data[f"{prefix}-MIN_NUM_FORMS"] = 0
    data[f"{prefix}-MAX_NUM_FORMS"] = 1000
    for i, row in enumerate(memberships):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def _opens_admin(user) -> bool:
    client = Client()
    client.force_login(user)  # passes the second factor where it is needed (accounts/testing.py)
    return client.get(reverse("admin:index")).status_code == 200


def test_a_membership_added_in_the_admin_makes_its_holder_staff(client, national_admin, tree, citizen):
    agency = tree["unit"]
    assert not citizen.is_staff and not _opens_admin(citizen)
    client.force_login(national_admin)
    url = reverse("admin:agencies_agency_change", args=[agency.pk])
    data = _change_data(client.get(url), [{"user": citizen.pk, "role": Role.UNIT_ADMIN, "agency": agency.pk}])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert Membership.objects.filter(user=citizen, agency=agency, role=Role.UNIT_ADMIN).exists()
    citizen.refresh_from_db()
    assert citizen.is_staff
    assert _opens_admin(citizen)


def test_a_membership_moved_to_another_person_in_the_admin_makes_them_staff(client, national_admin, tree):
    agency = tree["unit"]
    first = User.objects.create_user("pertama@example.test", "x", full_name="Pertama", is_staff=True)
    second = User.objects.create_user("kedua@example.test", "x", full_name="Kedua")
    membership = Membership.objects.create(user=first, agency=agency, role=Role.UNIT_ADMIN)
    client.force_login(national_admin)
    url = reverse("admin:agencies_agency_change", args=[agency.pk])
    rows = [{"id": membership.pk, "user": second.pk, "role": Role.UNIT_ADMIN, "agency": agency.pk}]
    response = client.post(url, _change_data(client.get(url), rows))
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.is_staff and _opens_admin(second)
