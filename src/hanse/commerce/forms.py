"""Forms of the cart and the subscription page. They check the shape of the input only: offer
ranges, statuses and the order rules are the services' to decide and to explain."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hanse.commerce.models import Subscription
from hanse.commerce.services import SubscriptionChange

# Quantities are bounded per offer by the service; this only keeps the number sane.
MAX_QUANTITY = 1_000_000


def _quantity() -> forms.IntegerField:
    return forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_QUANTITY)


class CartAddForm(forms.Form):
    offer_id = forms.CharField(max_length=64)
    quantity = _quantity()
    friendly_name = forms.CharField(label=_("Friendly name"), max_length=200, required=False)


class CartLineForm(forms.Form):
    index = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class CartUpdateForm(CartLineForm):
    quantity = _quantity()
    friendly_name = forms.CharField(label=_("Friendly name"), max_length=200, required=False)


class SubscriptionForm(forms.Form):
    """Every change carries the version it was read at, sent to the service as If-Match."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    success = _("The subscription was updated.")

    def change(self) -> SubscriptionChange:
        raise NotImplementedError


class QuantityForm(SubscriptionForm):
    quantity = _quantity()
    success = _("The quantity was changed.")

    def change(self) -> SubscriptionChange:
        return SubscriptionChange(quantity=self.cleaned_data["quantity"])


class FriendlyNameForm(SubscriptionForm):
    friendly_name = forms.CharField(label=_("Friendly name"), max_length=200)
    success = _("The friendly name was changed.")

    def change(self) -> SubscriptionChange:
        return SubscriptionChange(friendly_name=self.cleaned_data["friendly_name"])


class AutoRenewForm(SubscriptionForm):
    auto_renew = forms.TypedChoiceField(
        choices=[("on", _("On")), ("off", _("Off"))], coerce=lambda v: v == "on", widget=forms.HiddenInput
    )
    success = _("Auto-renew was changed.")

    def change(self) -> SubscriptionChange:
        return SubscriptionChange(auto_renew=self.cleaned_data["auto_renew"])


class StatusForm(SubscriptionForm):
    status = forms.ChoiceField(
        choices=[
            (Subscription.Status.ACTIVE, _("Reactivate")),
            (Subscription.Status.SUSPENDED, _("Suspend")),
        ],
        widget=forms.HiddenInput,
    )
    success = _("The status was changed.")

    def change(self) -> SubscriptionChange:
        return SubscriptionChange(status=self.cleaned_data["status"])


class CancelForm(SubscriptionForm):
    confirm = forms.BooleanField(
        label=_("I understand that a cancelled subscription cannot be changed or reactivated."),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )
    success = _("The subscription was cancelled.")

    def change(self) -> SubscriptionChange:
        return SubscriptionChange(status=Subscription.Status.DELETED)


CHANGE_FORMS: dict[str, type[SubscriptionForm]] = {
    "quantity": QuantityForm,
    "friendly_name": FriendlyNameForm,
    "auto_renew": AutoRenewForm,
    "status": StatusForm,
    "cancel": CancelForm,
}
