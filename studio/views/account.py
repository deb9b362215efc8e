"""A client's own account on the studio's hosted pages (CORE-5)."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from studio import services
from studio.access import client_required
from studio.forms import ClientSignupForm, EmailAuthenticationForm
from studio.registries.profile_panels import account_sections_for


@client_required
def account_home(request):
    return render(
        request,
        "studio/public/account.html",
        {
            "client": request.client_profile,
            "sections": account_sections_for(request=request, client=request.client_profile),
        },
    )


class ClientLoginView(LoginView):
    template_name = "studio/public/login.html"
    authentication_form = EmailAuthenticationForm

    def get_default_redirect_url(self):
        return f"/{self.request.studio.slug}/account/"

    def form_valid(self, form):
        response = super().form_valid(form)
        from studio import selectors

        if selectors.client_profile_for(studio=self.request.studio, user=form.get_user()) is None:
            # A person with an Atelier login but no profile here: create it on first visit.
            services.client_profile_attach(studio=self.request.studio, user=form.get_user())
        return response


account_login = ClientLoginView.as_view()


def account_signup(request):
    if request.client_profile is not None:
        return redirect("account-home", studio_slug=request.studio.slug)
    form = ClientSignupForm(request.POST or None, studio=request.studio)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client = services.client_register(
            studio=request.studio,
            email=data["email"],
            password=data["password"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            home_location=data.get("home_location"),
            language=data["language"],
        )
        login(request, client.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome, %(name)s!") % {"name": client.first_name})
        next_url = request.GET.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(next_url)
        return redirect("account-home", studio_slug=request.studio.slug)
    return render(request, "studio/public/signup.html", {"form": form})


@require_POST
def account_logout(request):
    logout(request)
    return redirect("studio-home", studio_slug=request.studio.slug)
