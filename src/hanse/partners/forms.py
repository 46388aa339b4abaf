"""Forms of the partner pages: enrolment, agreement signature, operator state changes.

The forms check shape only (required fields, choices, matching passwords); every business rule
(domain free, region European, market, password strength) is the service's.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hanse.instance.current import instance


def region_choices() -> list[tuple[str, str]]:
    return [(r.id, f"{r.name} ({r.id})") for r in instance().regions if r.european]


def country_choices() -> list[tuple[str, str]]:
    markets = instance().markets
    named = [(code, str(name)) for code, (name, _currency) in markets.items()]
    return sorted(named, key=lambda c: c[1])


class EnrolForm(forms.Form):
    company_name = forms.CharField(
        label=_("Company name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization", "autofocus": True}),
    )
    domain = forms.CharField(
        label=_("Domain"),
        max_length=253,
        help_text=_("Your organisation's tenant domain, for example contoso.example."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    region = forms.ChoiceField(label=_("Region"))
    country = forms.ChoiceField(label=_("Country"))
    admin_name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    admin_local_part = forms.CharField(
        label=_("Your user name (before @domain)"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm = forms.CharField(
        label=_("Confirm the password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = region_choices()
        self.fields["region"].choices = regions
        if len(regions) == 1:
            self.fields["region"].initial = regions[0][0]
        self.fields["country"].choices = [("", _("Choose a country")), *country_choices()]

    def clean_admin_local_part(self) -> str:
        value = self.cleaned_data["admin_local_part"].strip()
        if "@" in value:
            raise forms.ValidationError(_("Give only the part before the @; the domain is added for you."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("confirm") and data["password"] != data["confirm"]:
            self.add_error("confirm", _("The two passwords do not match."))
        return data


class SignatureForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    accept = forms.BooleanField(
        label=_("I have read the partner agreement and accept it on behalf of my organisation."),
        required=True,
        error_messages={"required": _("Tick the box to accept the agreement.")},
    )


class PartnerStateForm(forms.Form):
    state = forms.ChoiceField(choices=[("active", _("Active")), ("suspended", _("Suspended"))])
