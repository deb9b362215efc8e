"""`makemessages` that never guesses: new strings stay untranslated instead of fuzzy.

A fuzzy guess ("Booking" offered for "Bookings") reads as a translation to nobody but
gettext, which ignores it; the catalogue test then reports the string as missing, which is
what we want a translator to see.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
