"""Refused actions name their field in the words of the form."""

from __future__ import annotations

from django import forms

from ketacare.web.feedback import error_lines, field_label


class DoseForm(forms.Form):
    dose_mg = forms.DecimalField(label="Dose (mg)")


def test_the_forms_own_label_names_the_field() -> None:
    assert error_lines({"dose_mg": ["Must be at most 84."]}, DoseForm()) == [
        "Dose (mg): Must be at most 84."
    ]


def test_a_field_the_form_does_not_have_is_named_in_words() -> None:
    assert field_label("scheduled_start") == "Scheduled start"
    assert error_lines({"reason": ["Required."]}) == ["Reason: Required."]


def test_messages_about_the_whole_form_stand_alone() -> None:
    assert error_lines({"__all__": ["Sign first."], "": ["Or here."]}) == [
        "Sign first.",
        "Or here.",
    ]
