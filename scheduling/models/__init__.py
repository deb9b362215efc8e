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
from .classes import (
    CHECK_IN_OPENS_BEFORE,
    MAX_CAPACITY,
    MAX_DURATION_MINUTES,
    ClassSeries,
    ClassSession,
    ClassTemplate,
    SessionStatus,
)
from .kiosk import CalendarFeed, KioskSession

__all__ = [
    "ACTIVE_STATUSES",
    "CHECK_IN_OPENS_BEFORE",
    "MAX_CAPACITY",
    "MAX_DURATION_MINUTES",
    "OCCUPYING_STATUSES",
    "Appointment",
    "AppointmentCalendar",
    "AppointmentService",
    "AppointmentStatus",
    "Availability",
    "AvailabilityException",
    "BookedBy",
    "Booking",
    "BookingStatus",
    "CalendarFeed",
    "CalendarService",
    "CancelReason",
    "ClassSeries",
    "ClassSession",
    "ClassTemplate",
    "KioskSession",
    "PaymentKind",
    "SessionStatus",
]
