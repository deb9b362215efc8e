"""Global pages: staff log-in/out, owner sign-up, password reset, language, studio chooser."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from studio import selectors, services
from studio.forms import EmailAuthenticationForm, OwnerSignupForm
from studio.models import User
from studio.notifications.forms import NotifiedPasswordResetForm


class StaffLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("login")


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    studios = selectors.studios_for_user(user=request.user)
    if len(studios) == 1:
        return redirect("dashboard", studio_slug=studios[0].slug)
    return render(request, "studio/choose_studio.html", {"studios": studios})


def signup(request):
    """A new studio owner: their login and their studio in one step."""
    form = OwnerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, studio = services.owner_signup(**form.service_kwargs())
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome! Your studio is ready; the checklist below walks you through setup.")
        )
        return redirect("dashboard", studio_slug=studio.slug)
    return render(request, "registration/signup.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    form_class = NotifiedPasswordResetForm  # sends through notification_send (platform mail)
    template_name = "registration/password_reset.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


# Who just chose a new password, so the next page offers the sign-in they use: a client of a
# studio signs in on that studio's pages, not on the staff sign-in.
_RESET_USER_KEY = "password_reset_user_id"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.session[_RESET_USER_KEY] = form.user.pk
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user_id = self.request.session.pop(_RESET_USER_KEY, None)
        user = User.objects.filter(pk=user_id).first() if isinstance(user_id, int) else None
        context["staff_sign_in"] = user is None or bool(selectors.studios_for_user(user=user))
        context["client_studios"] = selectors.client_studios_for_user(user=user) if user is not None else []
        return context


@require_POST
def set_language(request):
    """Django's language switch, remembered on the person's account too."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in {"fr", "en"} and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response
