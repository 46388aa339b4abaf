"""Forms of the customer pages. They check the shape of the input; the services decide the rest
(markets, domains, the instance's policy) and their refusals are shown in the form."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hanse.customers.models import Customer
from hanse.customers.services import BillingProfile
from hanse.instance.current import instance
from hanse.validators import is_email

# The languages of invoices and mails: those the instance speaks, named in their own language.
LANGUAGES = list(settings.LANGUAGES)


def _sort_key(name: str) -> str:
    # "Österreich" sorts with the O's, as a reader expects, not after "Zypern".
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def market_choices() -> list[tuple[str, str]]:
    """The instance's markets as (code, name), sorted by their name in the active language."""
    names = [(code, str(name)) for code, (name, _currency) in instance().markets.items()]
    return sorted(names, key=lambda c: (_sort_key(c[1]), c[0]))


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Company name or domain starts with"), max_length=200, required=False)


class BillingForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("Email"), max_length=254)
    # A select of the markets, but any value reaches the service, whose refusal names the markets.
    country = forms.CharField(label=_("Country"), max_length=10, widget=forms.Select)
    city = forms.CharField(label=_("City"), max_length=100)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20)
    address_line1 = forms.CharField(label=_("Address"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].widget.choices = market_choices()

    def clean_email(self) -> str:
        # The API's rule, so that both accept the same addresses.
        email = self.cleaned_data["email"]
        if not is_email(email):
            raise forms.ValidationError(_("Enter a valid email address."), code="invalid")
        return email

    def billing(self, *, culture: str | None = None) -> BillingProfile:
        d = self.cleaned_data
        country = d["country"].strip().upper()
        return BillingProfile(
            first_name=d["first_name"],
            last_name=d["last_name"],
            email=d["email"],
            country=country,
            city=d["city"],
            postal_code=d["postal_code"],
            address_line1=d["address_line1"],
            company_name=d.get("billing_company_name", ""),
            language=d["language"],
            culture=culture or f"{d['language']}-{country[:2]}",
        )


class CustomerForm(BillingForm):
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    domain = forms.CharField(
        label=_("Domain"),
        max_length=253,
        min_length=3,
        help_text=_("The customer's tenant domain, for example contoso.example"),
    )
    field_order = ("company_name", "domain")

    def clean_domain(self) -> str:
        value = self.cleaned_data["domain"].strip()
        if re.fullmatch(r"[A-Za-z0-9-]{1,63}", value):
            # A bare prefix: say what is missing, at the field.
            raise forms.ValidationError(
                _("Enter the whole domain with its suffix, for example %(prefix)s.example."),
                params={"prefix": value[:60]},
            )
        return value


class BillingEditForm(BillingForm):
    billing_company_name = forms.CharField(
        label=_("Company name on invoices"), max_length=200, required=False
    )
    # The version read with the form: the service refuses the change if the customer changed since.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    field_order = ("billing_company_name",)

    @classmethod
    def initial_for(cls, c: Customer) -> dict[str, object]:
        return {
            "billing_company_name": c.billing_company_name,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "email": c.email,
            "country": c.country,
            "city": c.city,
            "postal_code": c.postal_code,
            "address_line1": c.address_line1,
            "language": c.language if c.language in dict(LANGUAGES) else "en",
            "version": c.version,
        }

    def culture_for(self, c: Customer) -> str | None:
        """Keep a culture set elsewhere (the API) unless the language or country changes."""
        d = self.cleaned_data
        same = d["language"] == c.language and d["country"].strip().upper() == c.country
        return c.culture if same else None
