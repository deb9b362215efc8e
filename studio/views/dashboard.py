from django.shortcuts import render

from studio.access import staff_required
from studio.checklist import checklist_for


@staff_required()
def dashboard(request):
    steps = checklist_for(studio=request.studio, staff=request.staff)
    done = sum(1 for s in steps if s.done)
    return render(
        request, "studio/dashboard.html", {"steps": steps, "done_count": done, "step_count": len(steps)}
    )
