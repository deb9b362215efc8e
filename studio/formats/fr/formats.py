"""French formats (FORMAT_MODULE_PATH): Django's, with the OQLF's typography where it differs.

Thousands are grouped with a narrow no-break space, as `studio.money.format_money` does, so a
number reads the same in a sentence, a table and a receipt. The tables below are not Django
format settings: `studio.formats.date_format` uses them to write weekdays and months in lower
case with their OQLF abbreviations ("mar. 1er déc."), whatever a catalogue says of "Tuesday".
"""

from django.conf.locale.fr.formats import *  # noqa: F403 - extend Django's French formats

THOUSAND_SEPARATOR = "\u202f"
# Browsers' <input type=date> send ISO dates; French readers type day/month/year.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_ABBR = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_ABBR = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juill.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
