"""Document technology: render Word, read uploads, convert to PDF, certificate page, seal, mail.

No Flask, no workflows, no database: bytes in, bytes out, so the rules above can be tested
without LibreOffice and these parts without the rules.
"""
