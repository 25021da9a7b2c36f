"""Messages after a form is sent: every error names its field, success colours only success.

One place for what the web pages say when a service refuses input (ValidationFailed) or a
form does not validate, so no page shows a bare "Required." or a raw field code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from ketacare.common.errors import ValidationFailed

NON_FIELD = ("", "__all__")


def field_label(
    field: str, form: forms.BaseForm | None = None, labels: Mapping[str, str] | None = None
) -> str:
    """The label people see for a field: the form's own label, or the page's, else the name
    in words."""
    if form is not None and field in form.fields and form.fields[field].label:
        return str(form.fields[field].label)
    if labels and field in labels:
        return labels[field]
    return field.replace("_", " ").strip().capitalize()


def error_lines(
    errors: Mapping[str, Iterable[object]],
    form: forms.BaseForm | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """ "Dose (mg): must be at most 84." for each message; non-field messages as they are."""
    lines = []
    for field, msgs in errors.items():
        text = " ".join(str(m) for m in msgs)
        lines.append(text if field in NON_FIELD else f"{field_label(field, form, labels)}: {text}")
    return lines


def flash_failure(
    request: HttpRequest,
    exc: ValidationFailed,
    form: forms.BaseForm | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """A refused action, each message naming its field."""
    messages.error(request, "; ".join(error_lines(exc.errors, form, labels)))


def flash_form_errors(request: HttpRequest, form: forms.BaseForm) -> None:
    """A form that did not validate, each message naming its field."""
    messages.error(request, "; ".join(error_lines(form.errors, form)))
