"""PDF documents: one way to render them (`services.document_render_pdf`), one way to keep them.

Receipts, signed waivers and payroll reports render from a template extending
`studio/documents/base.html` with WeasyPrint, in the reader's language, with the studio's
branding and the fonts under `fonts/` (shipped with the project, not the system's).
`services.document_store` keeps a generated PDF in its studio for later download.
"""
