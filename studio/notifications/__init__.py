"""Transactional mail: one way to send it (`services.notification_send`), one record of it.

Every email the product sends goes through `notification_send`: it renders the message in the
recipient's language with the studio's branding, stores it (the `Message` row *is* the outbox
staff and the platform operator read), and a worker task sends it after the transaction
commits. See docs/architecture.md, "Mail and documents".
"""
