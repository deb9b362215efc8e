"""Events other apps react to (penalty rules, refunds, payroll), sent once the change commits.

Every event carries `studio_id` and plain ids, never model instances: a receiver re-reads what
it needs inside the studio's scope, in the worker. Receivers must only enqueue a studio task
(`studio.tasking.enqueue_by_name`), never do the work in the request. Events are sent with
`send_robust` from a robust `on_commit` callback (`scheduling.services.common.send_event`): a
receiver that raises is logged, and neither turns the committed request into a 500 nor stops
the other receivers or the other callbacks of the same transaction.

    booking_cancelled(studio_id, booking_id, session_id, client_id, late: bool, by: "client" | "staff")
        a booking or a waitlist place was cancelled; `late` inside the studio's window (not waived)
    booking_late_cancelled(studio_id, booking_id, session_id, client_id, by)
        the same event, sent only when `late` (kept for listeners that only care about late ones)
    booking_no_show(studio_id, booking_id, session_id, client_id)
        the session ended without a check-in, or staff marked the client absent
    attendance_corrected(studio_id, booking_id, session_id, client_id, old: str, new: str)
        staff changed a recorded attendance (`checked_in` or `no_show`) to another status; a
        penalty charged on a no-show is reversed when `old == "no_show"`
    session_cancelled(studio_id, session_id, booking_ids: list[int])
        staff cancelled a class; `booking_ids` were active until then
    session_taught(studio_id, session_id, teacher_id, starts_at, ends_at)
        a class ended with its teacher (for payroll); sent once per session by the no-show sweep
    waitlist_expired(studio_id, booking_ids: list[int])
        the class ended (or started, for the sweep) with these clients still on its waitlist
    appointment_cancelled(studio_id, appointment_id, client_id, late: bool, by: "client" | "staff")
        an appointment was cancelled; `late` inside the studio's window
    appointment_late_cancelled(studio_id, appointment_id, client_id)
    appointment_no_show(studio_id, appointment_id, client_id)
"""

from django.dispatch import Signal

booking_cancelled = Signal()
booking_late_cancelled = Signal()
booking_no_show = Signal()
attendance_corrected = Signal()
session_cancelled = Signal()
session_taught = Signal()
waitlist_expired = Signal()
appointment_cancelled = Signal()
appointment_late_cancelled = Signal()
appointment_no_show = Signal()
