"""Writes of the scheduling app, and its public surface for other apps.

Keyword-only, typed, each owns its transaction. Other apps plug in through the booking checks
and payers (`booking_check_register`, `booking_payer_register`, see
scheduling/services/checks.py) and the events in
`scheduling.signals`.
"""

from .appointments import (
    appointment_book,
    appointment_calendar_save,
    appointment_cancel,
    appointment_check_in,
    appointment_service_save,
    availability_add,
    availability_exception_add,
    availability_exception_remove,
    availability_remove,
)
from .bookings import (
    attendance_mark_no_shows,
    booking_cancel,
    booking_check_in,
    booking_create,
    booking_set_attendance,
    client_can_book_for,
    waitlist_promote,
)
from .checks import (
    APPOINTMENT,
    CLASS,
    BookingAttempt,
    BookingCheck,
    BookingPayer,
    BookingPayment,
    appointment_payment_preview,
    booking_check_register,
    booking_check_registered,
    booking_check_unregister,
    booking_payer_register,
    booking_payer_registered,
    booking_payer_unregister,
    booking_payment_preview,
)
from .classes import (
    class_template_archive,
    class_template_save,
    series_create,
    series_end,
    series_extend,
    series_extend_all,
    series_update,
    session_cancel,
    session_create,
    session_update,
)
from .common import BookingError
from .kiosk import calendar_feed_for, kiosk_check_in, kiosk_close, kiosk_open

__all__ = [
    "APPOINTMENT",
    "CLASS",
    "BookingAttempt",
    "BookingCheck",
    "BookingError",
    "BookingPayer",
    "BookingPayment",
    "appointment_book",
    "appointment_calendar_save",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_payment_preview",
    "appointment_service_save",
    "attendance_mark_no_shows",
    "availability_add",
    "availability_exception_add",
    "availability_exception_remove",
    "availability_remove",
    "booking_cancel",
    "booking_check_in",
    "booking_check_register",
    "booking_check_registered",
    "booking_check_unregister",
    "booking_create",
    "booking_payer_register",
    "booking_payer_registered",
    "booking_payer_unregister",
    "booking_payment_preview",
    "booking_set_attendance",
    "calendar_feed_for",
    "class_template_archive",
    "class_template_save",
    "client_can_book_for",
    "kiosk_check_in",
    "kiosk_close",
    "kiosk_open",
    "series_create",
    "series_end",
    "series_extend",
    "series_extend_all",
    "series_update",
    "session_cancel",
    "session_create",
    "session_update",
    "waitlist_promote",
]
