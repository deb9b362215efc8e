from studio import navigation
from studio.permissions import Perm


def tenant(request):
    studio = getattr(request, "studio", None)
    staff = getattr(request, "staff", None)
    perms = staff.role.effective_permissions if staff is not None else frozenset()
    context = {
        "studio": studio,
        "staff": staff,
        "client_profile": getattr(request, "client_profile", None),
        "perms": perms,
        "Perm": Perm,
    }
    if studio is not None:
        # Lazy: only templates that show menus pay for building them.
        context["app_nav"] = lambda: navigation.manage_links(studio=studio, perms=perms) if staff else []
        context["public_nav"] = lambda: navigation.public_links(studio=studio)
        context["public_header"] = navigation.PUBLIC_HEADER
        context["settings_tabs"] = lambda: navigation.settings_tabs(studio=studio, perms=perms)
    return context
