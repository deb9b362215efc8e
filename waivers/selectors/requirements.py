"""What requires a waiver, read for the requirements page (the writes: services/requirements.py)."""

from __future__ import annotations

from waivers.models import RequirementScope, Waiver, WaiverRequirement


def waiver_requirements_of(*, waiver: Waiver) -> dict[str, list[int] | bool]:
    """The waiver's requirements as the page's initial values: {"studio_wide": bool, "plan": [ids],
    "class_template": [ids], "service": [ids]} (one query)."""
    out: dict = {"studio_wide": False, "plan": [], "class_template": [], "service": []}
    for scope, target_id in WaiverRequirement.objects.filter(waiver=waiver).values_list("scope", "target_id"):
        if scope == RequirementScope.STUDIO:
            out["studio_wide"] = True
        elif scope in out:
            out[scope].append(target_id)
    return out
