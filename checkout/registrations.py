"""What checkout plugs into the platform's registries (payment source kinds, mail templates,
beat entries, panels). Each helper module adds its own `register_*` function and calls it here."""


def register_all() -> None:
    pass
