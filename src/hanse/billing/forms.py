from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hanse.billing.services import MAX_ADDRESS_LINES


class BillingProfileForm(forms.Form):
    address = forms.CharField(
        label=_("Billing address"),
        required=False,
        max_length=MAX_ADDRESS_LINES * 101,
        widget=forms.Textarea(attrs={"rows": MAX_ADDRESS_LINES, "autocomplete": "street-address"}),
        help_text=_("As it is printed on your invoices: at most 6 lines."),
    )
    vat_id = forms.CharField(label=_("VAT number"), required=False, max_length=20)
    language = forms.ChoiceField(label=_("Language of invoices"), choices=settings.LANGUAGES)
