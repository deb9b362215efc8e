from django.core.management.base import BaseCommand

from studio.demo import seed_all


class Command(BaseCommand):
    help = "Load the demo studios and logins (idempotent)."

    def handle(self, *args, **options):
        demo, other = seed_all()
        self.stdout.write(f"Demo data ready: /{demo.slug}/ and /{other.slug}/")
