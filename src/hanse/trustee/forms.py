"""The operator's request form: shape only (required fields, choices); every rule of the request
(the maximum duration, denied reasons, break-glass) is the service's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hanse.instance.current import instance
from hanse.trustee.models import DATA_KIND_LABELS, Reason


class AccessRequestForm(forms.Form):
    customer = forms.CharField(
        label=_("Customer"),
        max_length=253,
        help_text=_("The customer's domain or id, as the support case names it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autofocus": True}),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Data"),
        choices=[(k.value, label) for k, label in DATA_KIND_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    access = forms.ChoiceField(
        label=_("Access"), choices=[("read", _("Read only")), ("readwrite", _("Read and change"))]
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    justification = forms.CharField(
        label=_("Justification"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    case_ref = forms.CharField(label=_("Support case"), max_length=64, required=False)
    hours = forms.IntegerField(label=_("Duration (hours)"), min_value=1, max_value=72, initial=2)
    break_glass = forms.BooleanField(
        label=_("Break-glass: open at once with a second operator (one hour at most)"), required=False
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        policy = instance().trustee
        self.fields["hours"].help_text = _("At most %(n)s hours on this instance.") % {
            "n": policy.max_grant_hours
        }
        if not policy.break_glass:
            del self.fields["break_glass"]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
