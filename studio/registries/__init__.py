"""Registries that later apps fill in their `AppConfig.ready()`, so that the studio app shows
their panels and facts without importing them (DESIGN.md, "Seams between apps").

- `profile_panels`: panels on a client's staff-side profile (each with its permission) and on
  the client's own account page;
- `location_facts`: lines on a location's page (e.g. its payment account);
- `home_change`: warnings to confirm before a client's home location changes;
- `requirement_targets`: what a waiver can be required for (plans, classes, appointment services).

Menu entries and the dashboard checklist keep their own modules (`studio/navigation.py`,
`studio/checklist.py`).
"""
