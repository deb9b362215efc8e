from studio.permissions import Perm


def tenant(request):
    staff = getattr(request, "staff", None)
    perms = staff.role.effective_permissions if staff is not None else frozenset()
    return {
        "studio": getattr(request, "studio", None),
        "staff": staff,
        "client_profile": getattr(request, "client_profile", None),
        "perms": perms,
        "Perm": Perm,
    }
