"""What checkout plugs into the platform's registries (payment source kinds, mail templates,
beat entries, panels). Each helper module adds its own `register_*` function and calls it here."""


def register_all() -> None:
    from checkout.views import public as public_views

    public_views.register()
    from checkout.services import payment as pay_services

    pay_services.register()
    from checkout import panels as ful_panels  # ful

    ful_panels.register()
