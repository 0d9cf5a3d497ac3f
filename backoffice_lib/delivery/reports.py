"""Files of delivery: a PDF protected before it leaves (delivery.md §2).

AES-256 (PDF 2.0 security handler, revision 6, through fpdf2), never RC4; the user password is
the one the message names the kind of (a national ID, a tax ID), the owner password random and
never empty. Everything may be printed; nothing may be changed.
"""

from __future__ import annotations

import secrets


def protect_pdf(pdf, user_password: str) -> None:
    """Set AES-256 encryption on an fpdf2 document before its ``output()``."""
    from fpdf.enums import AccessPermission, EncryptionMethod

    if not user_password:
        raise ValueError("a protected PDF needs a password")
    pdf.set_encryption(
        owner_password=secrets.token_urlsafe(24),
        user_password=user_password,
        encryption_method=EncryptionMethod.AES_256,
        permissions=AccessPermission.PRINT_LOW_RES | AccessPermission.PRINT_HIGH_RES
        | AccessPermission.COPY,
        encrypt_metadata=True,
    )


def render_protected(pdf, user_password: str) -> bytes:
    """The document's bytes, encrypted with ``user_password``."""
    protect_pdf(pdf, user_password)
    return bytes(pdf.output())
