"""A penalty rule read back as a sentence, in French and English (POL-3): ordinals, money,
plural forms of the window, "every 1st" read as "every"."""

from __future__ import annotations

import pytest
from django.utils import translation

from memberships.policy_engine import RuleTerms
from memberships.policy_wording import OPTION_HELP, ordinal, rule_sentence

NB = "\u00a0"


def terms(**overrides) -> RuleTerms:
    values = dict(
        trigger="no_show",
        all_plans=True,
        plan_ids=frozenset(),
        frequency="every",
        count=2,
        window_unit="renewal_period",
        window_length=1,
        fee_amount=1000,
        currency="CAD",
    )
    values.update(overrides)
    return RuleTerms(**values)


@pytest.mark.parametrize(
    ("n", "english", "french_f", "french_m"),
    [
        (1, "1st", "1re", "1er"),
        (2, "2nd", "2e", "2e"),
        (3, "3rd", "3e", "3e"),
        (4, "4th", "4e", "4e"),
        (11, "11th", "11e", "11e"),
        (12, "12th", "12e", "12e"),
        (13, "13th", "13e", "13e"),
        (21, "21st", "21e", "21e"),
        (22, "22nd", "22e", "22e"),
        (23, "23rd", "23e", "23e"),
        (101, "101st", "101e", "101e"),
        (111, "111th", "111e", "111e"),
        (112, "112th", "112e", "112e"),
    ],
)
def test_ordinals(n, english, french_f, french_m):
    with translation.override("en"):
        assert ordinal(n) == english
    with translation.override("fr"):
        assert ordinal(n, gender="f") == french_f
        assert ordinal(n) == french_m


SENTENCES = [
    (
        {},
        "A $10.00 fee is charged at every 2nd no-show within the current renewal period",
        f"Des frais de 10,00{NB}$ sont prélevés à chaque 2e absence pendant la période de renouvellement en cours",
    ),
    (
        {"count": 1},
        "A $10.00 fee is charged at every no-show within the current renewal period",
        f"Des frais de 10,00{NB}$ sont prélevés à chaque absence pendant la période de renouvellement en cours",
    ),
    (
        {
            "trigger": "late_cancel",
            "frequency": "at_least",
            "count": 3,
            "window_unit": "days",
            "window_length": 30,
        },
        "A $10.00 fee is charged at the 3rd late cancel and every one after it within the last 30 days",
        f"Des frais de 10,00{NB}$ sont prélevés à la 3e annulation tardive et à chacune des suivantes "
        "pendant les 30 derniers jours",
    ),
    (
        {
            "trigger": "late_cancel",
            "frequency": "exactly",
            "count": 3,
            "window_unit": "days",
            "window_length": 30,
        },
        "A $10.00 fee is charged at exactly the 3rd late cancel within the last 30 days",
        f"Des frais de 10,00{NB}$ sont prélevés exactement à la 3e annulation tardive pendant les 30 derniers jours",
    ),
    (
        {"frequency": "exactly", "count": 1, "window_unit": "months", "window_length": 1},
        "A $10.00 fee is charged at exactly the 1st no-show within the last month",
        f"Des frais de 10,00{NB}$ sont prélevés exactement à la 1re absence pendant le dernier mois",
    ),
    (
        {"frequency": "at_least", "count": 1, "window_unit": "months", "window_length": 2},
        "A $10.00 fee is charged at every no-show within the last 2 months",
        f"Des frais de 10,00{NB}$ sont prélevés à chaque absence pendant les 2 derniers mois",
    ),
    (
        {"count": 21, "window_unit": "weeks", "window_length": 1, "fee_amount": 123456},
        "A $1,234.56 fee is charged at every 21st no-show within the last week",
        f"Des frais de 1\u202f234,56{NB}$ sont prélevés à chaque 21e absence pendant la dernière semaine",
    ),
    (
        {"trigger": "late_cancel", "count": 12, "window_unit": "weeks", "window_length": 3},
        "A $10.00 fee is charged at every 12th late cancel within the last 3 weeks",
        f"Des frais de 10,00{NB}$ sont prélevés à chaque 12e annulation tardive pendant les 3 dernières semaines",
    ),
    (
        {"count": 3, "window_unit": "days", "window_length": 1, "fee_amount": 500, "currency": "EUR"},
        "A €5.00 fee is charged at every 3rd no-show within the last day",
        f"Des frais de 5,00{NB}€ sont prélevés à chaque 3e absence pendant le dernier jour",
    ),
]


@pytest.mark.parametrize(("overrides", "english", "french"), SENTENCES)
def test_sentence_table(overrides, english, french):
    rule = terms(**overrides)
    with translation.override("en"):
        assert rule_sentence(terms=rule) == english
    with translation.override("fr"):
        assert rule_sentence(terms=rule) == french


def test_plans_follow_the_sentence_of_a_rule_limited_to_plans():
    rule = terms(all_plans=False, plan_ids=frozenset({1, 2}))
    with translation.override("en"):
        assert rule_sentence(terms=rule, plan_names=["Monthly", "Yearly"]).endswith(
            "renewal period — plans: Monthly, Yearly"
        )
        # Everyone: no list, whatever is passed.
        assert "plans" not in rule_sentence(terms=terms(), plan_names=["Monthly"])
    with translation.override("fr"):
        assert rule_sentence(terms=rule, plan_names=["Mensuel"]).endswith(f"en cours — forfaits{NB}: Mensuel")


def test_every_option_has_help_in_both_languages():
    for key in (
        "trigger",
        "plans",
        "every",
        "at_least",
        "exactly",
        "count",
        "window",
        "renewal_period",
        "fee",
    ):
        with translation.override("en"):
            english = str(OPTION_HELP[key])
        with translation.override("fr"):
            french = str(OPTION_HELP[key])
        assert english and french != english
