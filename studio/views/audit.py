from django.core.paginator import Paginator
from django.shortcuts import render

from studio import selectors
from studio.access import staff_required
from studio.forms import AuditFilterForm
from studio.permissions import Perm
from studio.registries import audit as audit_terms


@staff_required(Perm.VIEW_AUDIT_LOG)
def audit_log(request):
    actions = selectors.audit_actions(studio=request.studio)
    form = AuditFilterForm(request.GET or None, studio=request.studio, actions=actions)
    filters = form.valid_filters()
    entries = selectors.audit_log_list(
        studio=request.studio,
        action=filters.get("action") or "",
        actor_id=filters["actor"].pk if filters.get("actor") else None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = audit_terms.entries_in_words(page.object_list, studio=request.studio)
    template = "studio/_audit_table.html" if request.htmx else "studio/audit_log.html"
    return render(request, template, {"form": form, "page": page, "rows": rows, "query": query.urlencode()})
