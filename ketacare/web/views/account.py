"""Sign-in (password, then a one-time code where needed), sign-out, and the signed-in
person's own account: password change, e-mail reset, two-factor enrolment and reset.

Django's own auth views do the work; their forms save through the account services, so
a password set here is validated, audited and revokes the account's API tokens.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from ketacare.accounts import signin
from ketacare.accounts.models import User
from ketacare.accounts.services import account_password_set, mfa_reset

NEXT_KEY = "kc_signin_next"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SignInView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: auth_forms.AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not signin.second_factor_needed(user):
            signin.sign_in(self.request, user)
            return redirect(self.get_success_url())
        signin.begin_second_factor(self.request, user)
        self.request.session[NEXT_KEY] = self.get_redirect_url()
        return redirect("signin_code" if user_has_device(user) else "mfa_enrol")


def _next_url(request: HttpRequest) -> str:
    target = request.session.pop(NEXT_KEY, "") or ""
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if safe else "/"


def _finish(request: HttpRequest) -> HttpResponse:
    return redirect(_next_url(request))


def signin_code(request: HttpRequest) -> HttpResponseBase:
    """The second step: a code from the authenticator app, or a recovery code."""
    user = signin.pending_user(request)
    if user is None:
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = signin.verify_code(request, user, form.cleaned_data["code"])
        if device is not None:
            signin.finish_second_factor(request, user, device)
            return _finish(request)
        form.add_error(
            "code", "That code is not right. Enter the current code, or a recovery code."
        )
    return render(request, "web/account/signin_code.html", {"form": form})


def mfa_enrol(request: HttpRequest) -> HttpResponseBase:
    """Set up an authenticator app: during sign-in for someone who must, or from the
    account page. A first code confirms it; the recovery codes are shown once."""
    pending = signin.pending_user(request)
    user: Any = pending or request.user
    if not user.is_authenticated:
        return redirect("login")
    if user_has_device(user):
        return redirect("account_security")
    device = signin.totp_device_for_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = signin.enrol_confirm(user, device, form.cleaned_data["code"])
        if codes is not None:
            if pending is not None:
                signin.finish_second_factor(request, pending, device)
            return render(
                request,
                "web/account/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error("code", "That code is not right. Enter the code the app shows now.")
    context = {
        "form": form,
        "qr": signin.qr_data_uri(device),
        "secret": signin.secret_for_typing(device),
        "during_sign_in": pending is not None,
    }
    return render(request, "web/account/mfa_enrol.html", context)


@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "web/account/security.html",
        {"has_mfa": user_has_device(user), "mfa_needed": signin.second_factor_needed(user)},
    )


@require_POST
@login_required
def mfa_reset_own(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    mfa_reset(actor=user, user=user)
    messages.success(
        request, "Two-factor sign-in removed. Set it up again before you next sign in."
    )
    return redirect("account_security")


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        signin.sign_out(request, reason="signed out")
        return super().post(request, *args, **kwargs)


# --- passwords: Django's views, saving through the account service ----------------------


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def save(self, commit: bool = True) -> Any:
        return account_password_set(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"]
        )


class PasswordResetSetForm(auth_forms.SetPasswordForm):
    def save(self, commit: bool = True) -> Any:
        # The reset link proves the person controls the account's e-mail address.
        return account_password_set(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"]
        )


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "web/account/password_change.html"
    success_url = reverse_lazy("account_security")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, "Password changed. Your API tokens were revoked.")
        return super().form_valid(form)


password_reset = auth_views.PasswordResetView.as_view(
    template_name="web/account/password_reset.html",
    email_template_name="web/account/password_reset_email.txt",
    subject_template_name="web/account/password_reset_subject.txt",
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="web/account/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=PasswordResetSetForm, template_name="web/account/password_reset_confirm.html"
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="web/account/password_reset_complete.html"
)
