from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import DateField, Model

from ketacare.audit.services import Action
from ketacare.patients.models import Patient, PatientRecord
from ketacare.patients.services import PATIENT_FIELDS, RECORD_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # <input type="date"> only understands ISO dates, whatever the locale.
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_widgets(model: type[Model]) -> dict[str, type[forms.Widget] | forms.Widget]:
    return {f.name: DateInput() for f in model._meta.concrete_fields if isinstance(f, DateField)}


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = _date_widgets(Patient) | {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A post that leaves the language out (a script, an older page) keeps the
        # patient's language, or English for a new patient, rather than failing.
        self.fields["preferred_language"].required = False

    def clean_preferred_language(self) -> str:
        chosen = self.cleaned_data.get("preferred_language")
        return str(chosen or self.instance.preferred_language or Patient.Language.ENGLISH)


class RegistrationForm(PatientForm):
    """Registration: the patient's details, and the answer to "is this someone already
    registered?" once the possible duplicates have been shown."""

    confirm_not_duplicate = forms.BooleanField(
        required=False, label="This is a different person — register anyway"
    )


def entry_form_class(model: type[PatientRecord]) -> type[forms.ModelForm]:
    return forms.modelform_factory(model, fields=RECORD_FIELDS[model], widgets=_date_widgets(model))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300)


class AuditFilterForm(forms.Form):
    patient_mrn = forms.CharField(required=False, label="Patient MRN")
    user = forms.CharField(required=False, label="User")
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Any action")]
        + [(action.value, action.value.replace("_", " ").capitalize()) for action in Action],
    )
    date_from = forms.DateField(required=False, widget=DateInput())
    date_to = forms.DateField(required=False, widget=DateInput())
