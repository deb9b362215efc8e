from .appointments import (
    Appointment,
    AppointmentCalendar,
    AppointmentService,
    AppointmentStatus,
    Availability,
    AvailabilityException,
    CalendarService,
)
from .bookings import (
    ACTIVE_STATUSES,
    OCCUPYING_STATUSES,
    BookedBy,
    Booking,
    BookingStatus,
    CancelReason,
    PaymentKind,
)
from .classes import ClassSeries, ClassSession, ClassTemplate, SessionStatus
from .kiosk import CalendarFeed, KioskSession

__all__ = [
    "ACTIVE_STATUSES", "OCCUPYING_STATUSES", "Appointment", "AppointmentCalendar", "AppointmentService",
    "AppointmentStatus", "Availability", "AvailabilityException", "BookedBy", "Booking", "BookingStatus",
    "CalendarFeed", "CalendarService", "CancelReason", "ClassSeries", "ClassSession", "ClassTemplate",
    "KioskSession", "PaymentKind", "SessionStatus",
]
