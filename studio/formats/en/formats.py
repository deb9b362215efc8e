"""English formats (FORMAT_MODULE_PATH): Django's own; French is the one that differs."""

from django.conf.locale.en.formats import *  # noqa: F403 - Django's English formats, unchanged
