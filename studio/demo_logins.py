"""The demo logins, in one place for the seed command, the launcher banner and the README."""

DEMO_PASSWORD = "atelier-demo"

DEMO_LOGINS = [
    ("owner@demo.atelier.test", "Atelier Demo — Owner"),
    ("admin@demo.atelier.test", "Atelier Demo — Admin"),
    ("manager@demo.atelier.test", "Atelier Demo — Manager"),
    ("frontdesk@demo.atelier.test", "Atelier Demo — Front desk"),
    ("teacher@demo.atelier.test", "Atelier Demo — Teacher"),
    ("client@demo.atelier.test", "Atelier Demo — client (hosted pages, /demo/account/)"),
    ("owner@autre.atelier.test", "Studio Autre — Owner (second studio)"),
    ("frontdesk@autre.atelier.test", "Studio Autre — Front desk"),
    ("teacher@autre.atelier.test", "Studio Autre — Teacher"),
    ("platform@atelier.test", "Platform operator (/admin/)"),
]
