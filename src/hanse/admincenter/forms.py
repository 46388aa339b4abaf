"""Forms of the user and licence pages: the shape of the input; the services decide the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hanse.access.roles import PARTNER_ROLES, ROLE_LABELS, Role
from hanse.customers.forms import market_choices


def location_choices() -> list[tuple[str, str]]:
    return [("", _("— none —")), *market_choices()]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Company name or domain starts with"), max_length=200, required=False)


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Display name or user name starts with"), max_length=200, required=False)


class UserEditForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=200)
    # Any value reaches the service, whose refusal names the instance's markets.
    usage_location = forms.CharField(
        label=_("Usage location"), max_length=10, required=False, widget=forms.Select
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["usage_location"].widget.choices = location_choices()
        self.fields["display_name"].widget.attrs["data-testid"] = "display-name"
        self.fields["usage_location"].widget.attrs["data-testid"] = "usage-location"


class NewUserForm(UserEditForm):
    upn = forms.CharField(
        label=_("User name"), max_length=254, help_text=_("name@domain, in the customer's domain")
    )
    field_order = ("upn", "display_name", "usage_location")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["upn"].widget.attrs["data-testid"] = "upn"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("Columns: userPrincipalName, displayName, usageLocation")
    )


def role_choices() -> list[tuple[str, str]]:
    return [(r.value, str(ROLE_LABELS[r])) for r in Role if r in PARTNER_ROLES]


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=role_choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    def roles_list(self) -> list[Role]:
        return [Role(r) for r in self.cleaned_data["roles"]]


class InviteForm(RolesForm):
    upn = forms.CharField(label=_("User name"), max_length=254, help_text=_("name@domain, in your domain"))
    display_name = forms.CharField(label=_("Display name"), max_length=200)
    field_order = ("upn", "display_name", "roles")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["upn"].widget.attrs["data-testid"] = "upn"
        self.fields["display_name"].widget.attrs["data-testid"] = "display-name"
