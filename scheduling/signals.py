"""Events other apps react to (penalty rules, refunds, payroll). Sent after the change commits.

    booking_late_cancelled(sender=Booking, booking=…)   a client cancelled inside the window
    booking_no_show(sender=Booking, booking=…)          the session ended without a check-in,
                                                         or staff marked the client absent
    session_cancelled(sender=ClassSession, session=…, bookings=[…])   staff cancelled a class;
                                                         `bookings` were active until then
    appointment_late_cancelled(sender=Appointment, appointment=…)
    appointment_no_show(sender=Appointment, appointment=…)
"""

from django.dispatch import Signal

booking_late_cancelled = Signal()
booking_no_show = Signal()
session_cancelled = Signal()
appointment_late_cancelled = Signal()
appointment_no_show = Signal()
