"""Scheduling URLs, included under /<studio_slug>/ by studio.urls_tenant."""

from django.urls import path

from scheduling.views import appointments, bookings, classes, kiosk, public

urlpatterns = [
    # Back office: classes
    path("manage/schedule/", classes.calendar, name="schedule-calendar"),
    path("manage/schedule/templates/", classes.template_list, name="class-template-list"),
    path("manage/schedule/templates/new/", classes.template_create, name="class-template-create"),
    path("manage/schedule/templates/<int:pk>/", classes.template_detail, name="class-template-detail"),
    path("manage/schedule/templates/<int:pk>/edit/", classes.template_edit, name="class-template-edit"),
    path(
        "manage/schedule/templates/<int:pk>/archive/", classes.template_archive, name="class-template-archive"
    ),
    path("manage/schedule/series/new/", classes.series_create, name="class-series-create"),
    path("manage/schedule/series/<int:pk>/", classes.series_detail, name="class-series-detail"),
    path("manage/schedule/series/<int:pk>/edit/", classes.series_edit, name="class-series-edit"),
    path("manage/schedule/series/<int:pk>/end/", classes.series_end, name="class-series-end"),
    path("manage/schedule/sessions/new/", classes.session_create, name="class-session-create"),
    path("manage/schedule/sessions/<int:pk>/", classes.session_detail, name="class-session-detail"),
    path("manage/schedule/sessions/<int:pk>/edit/", classes.session_edit, name="class-session-edit"),
    path("manage/schedule/sessions/<int:pk>/cancel/", classes.session_cancel, name="class-session-cancel"),
    # Back office: bookings and attendance
    path("manage/schedule/sessions/<int:pk>/book/", bookings.session_book, name="class-session-book"),
    path(
        "manage/schedule/sessions/<int:pk>/clients/",
        bookings.client_search,
        name="class-session-client-search",
    ),
    path("manage/schedule/bookings/<int:pk>/cancel/", bookings.booking_cancel, name="booking-cancel"),
    path(
        "manage/schedule/bookings/<int:pk>/attendance/",
        bookings.booking_attendance,
        name="booking-attendance",
    ),
    # Back office: appointments
    path("manage/appointments/", appointments.overview, name="appointment-overview"),
    path("manage/appointments/book/", appointments.book, name="appointment-book"),
    path("manage/appointments/<int:pk>/", appointments.detail, name="appointment-detail"),
    path("manage/appointments/<int:pk>/cancel/", appointments.cancel, name="appointment-cancel"),
    path("manage/appointments/<int:pk>/check-in/", appointments.check_in, name="appointment-check-in"),
    path("manage/appointments/services/", appointments.service_list, name="appointment-service-list"),
    path("manage/appointments/services/new/", appointments.service_create, name="appointment-service-create"),
    path(
        "manage/appointments/services/<int:pk>/", appointments.service_edit, name="appointment-service-edit"
    ),
    path(
        "manage/appointments/calendars/new/", appointments.calendar_create, name="appointment-calendar-create"
    ),
    path(
        "manage/appointments/calendars/<int:pk>/",
        appointments.calendar_detail,
        name="appointment-calendar-detail",
    ),
    path(
        "manage/appointments/calendars/<int:pk>/availability/",
        appointments.availability_add,
        name="appointment-availability-add",
    ),
    path(
        "manage/appointments/availability/<int:pk>/remove/",
        appointments.availability_remove,
        name="appointment-availability-remove",
    ),
    path(
        "manage/appointments/calendars/<int:pk>/exceptions/",
        appointments.exception_add,
        name="appointment-exception-add",
    ),
    path(
        "manage/appointments/exceptions/<int:pk>/remove/",
        appointments.exception_remove,
        name="appointment-exception-remove",
    ),
    # Self check-in kiosk (full screen, no way out without a staff login)
    path("kiosk/", kiosk.home, name="kiosk"),
    path("kiosk/open/", kiosk.open_kiosk, name="kiosk-open"),
    path("kiosk/sessions/<int:pk>/", kiosk.session, name="kiosk-session"),
    path("kiosk/bookings/<int:pk>/check-in/", kiosk.check_in, name="kiosk-check-in"),
    path("kiosk/exit/", kiosk.exit_kiosk, name="kiosk-exit"),
    path("kiosk/language/", kiosk.kiosk_language, name="kiosk-language"),
    # Hosted pages (clients)
    path("schedule/", public.schedule, name="public-schedule"),
    path("schedule/<int:pk>/", public.session, name="public-session"),
    path("schedule/<int:pk>/book/", public.book, name="public-session-book"),
    path("schedule/feed/<str:token>.ics", public.feed, name="public-calendar-feed"),
    path("appointments/", public.appointments, name="public-appointments"),
    path("appointments/book/", public.appointment_book, name="public-appointment-book"),
    path("account/bookings/<int:pk>/cancel/", public.booking_cancel, name="account-booking-cancel"),
    path("account/bookings/<int:pk>/calendar.ics", public.booking_ics, name="account-booking-ics"),
    path(
        "account/appointments/<int:pk>/cancel/", public.appointment_cancel, name="account-appointment-cancel"
    ),
    path("account/calendar-feed/", public.feed_reset, name="account-calendar-feed-reset"),
]
