"""supplier tax: supplier payee data, invoices.paid_on, certificate and filing registers

Revision ID: 0019
Revises: 0018

supplier-tax.md:
- ``backoffice.thai_tax_id_valid(text)``: 13 digits whose last is the Thai ID check digit
  (immutable SQL, EXECUTE left to PUBLIC: every role that writes a supplier evaluates it).
- ``invoice_suppliers`` (§2): payee_kind, branch_no (default ``00000``), title, first_name,
  last_name, address_line, subdistrict, district, province, postal_code, income_type_code and
  income_type_label (default §40(8) "ค่าบริการ / ค่าจ้างทำของ"); ``tax_id`` checked by the function.
  A stored tax ID typed with spaces or dashes keeps its 13 digits when they pass the check; one
  that fails it is kept as it is (nothing is dropped): the check is created NOT VALID, so it
  holds for every new or changed row, and the filings name such a supplier's tax ID as missing
  until a person corrects it (the live import normalises and refuses the same way).
- ``invoices.paid_on`` (§1), indexed (a month's filing is read by it).
- ``wht_certificates`` (§4) and ``tax_filings`` (§5), see ``models/supplier_tax.py``.
- ``invoice_settings`` gains no rows: the payer's branch and structured address are the keys
  ``company_branch_no``, ``company_address_line``, ``company_subdistrict``, ``company_district``,
  ``company_province``, ``company_postal_code`` (``invoices.rules.SETTING_DEFAULTS``), set by an
  admin like the other keys.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SCHEMA = "backoffice"
THAI_TAX_ID_VALID = """
CREATE FUNCTION backoffice.thai_tax_id_valid(tax_id text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN tax_id IS NULL OR tax_id !~ '^[0-9]{13}$' THEN false
    ELSE (11 - (SELECT sum(substr(tax_id, i, 1)::int * (14 - i))
                FROM generate_series(1, 12) AS i) % 11) % 10 = substr(tax_id, 13, 1)::int
  END
$$
"""
SUPPLIER_CHECKS = (
    ("payee_kind_known", "payee_kind IN ('individual', 'juristic')"),
    ("branch_no_five_digits", "branch_no ~ '^[0-9]{5}$'"),
    ("postal_code_five_digits", "postal_code ~ '^[0-9]{5}$'"),
    ("tax_id_check_digit", "tax_id IS NULL OR backoffice.thai_tax_id_valid(tax_id)"),
)


def upgrade() -> None:
    op.execute(THAI_TAX_ID_VALID)
    text_columns = ("payee_kind", "title", "first_name", "last_name", "address_line",
                    "subdistrict", "district", "province", "postal_code")
    for name in text_columns:
        op.add_column("invoice_suppliers", sa.Column(name, sa.Text(), nullable=True),
                      schema=SCHEMA)
    for name, default in (("branch_no", "'00000'"), ("income_type_code", "'40(8)'"),
                          ("income_type_label", "'ค่าบริการ / ค่าจ้างทำของ'")):
        op.add_column("invoice_suppliers",
                      sa.Column(name, sa.Text(), server_default=sa.text(default), nullable=False),
                      schema=SCHEMA)
    # Tax IDs stored before the check: typed separators dropped when the digits make a valid
    # ID; an ID that fails the check is kept (never dropped) and the check created NOT VALID.
    op.execute(r"""
        UPDATE backoffice.invoice_suppliers
           SET tax_id = regexp_replace(tax_id, '[\s-]', '', 'g')
         WHERE tax_id IS NOT NULL AND NOT backoffice.thai_tax_id_valid(tax_id)
           AND backoffice.thai_tax_id_valid(regexp_replace(tax_id, '[\s-]', '', 'g'))""")
    for name, check in SUPPLIER_CHECKS:
        op.create_check_constraint(op.f(f"ck_invoice_suppliers_{name}"), "invoice_suppliers",
                                   check, schema=SCHEMA,
                                   postgresql_not_valid=name == "tax_id_check_digit")

    op.add_column("invoices", sa.Column("paid_on", sa.Date(), nullable=True), schema=SCHEMA)
    op.create_index("ix_invoices_paid_on", "invoices", ["paid_on"], schema=SCHEMA)

    op.create_table(
        "wht_certificates",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("book", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.Text(), server_default=sa.text("'issued'"), nullable=False),
        sa.Column("replaces_id", sa.UUID(), nullable=True),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("voided_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("voided_by", sa.Text(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('issued', 'void')",
                           name=op.f("ck_wht_certificates_state_known")),
        sa.CheckConstraint("form IN ('pnd3', 'pnd53')",
                           name=op.f("ck_wht_certificates_form_known")),
        sa.CheckConstraint("number >= 1", name=op.f("ck_wht_certificates_number_positive")),
        sa.CheckConstraint(
            "state <> 'void' OR (voided_at IS NOT NULL AND voided_by IS NOT NULL"
            " AND btrim(coalesce(void_reason, '')) <> '')",
            name=op.f("ck_wht_certificates_void_has_who_when_why")),
        sa.ForeignKeyConstraint(["invoice_id"], [f"{SCHEMA}.invoices.id"], ondelete="RESTRICT",
                                name=op.f("fk_wht_certificates_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["replaces_id"], [f"{SCHEMA}.wht_certificates.id"],
                                ondelete="RESTRICT",
                                name=op.f("fk_wht_certificates_replaces_id_wht_certificates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wht_certificates")),
        sa.UniqueConstraint("book", "number", name=op.f("uq_wht_certificates_book_number")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_wht_certificates_invoice_id"), "wht_certificates", ["invoice_id"],
                    schema=SCHEMA)
    op.create_index("uq_wht_certificates_one_issued_per_invoice", "wht_certificates",
                    ["invoice_id"], unique=True, schema=SCHEMA,
                    postgresql_where=sa.text("state = 'issued'"))

    op.create_table(
        "tax_filings",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("duty", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("files", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("files_made_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("files_made_by", sa.Text(), nullable=True),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("receipt_no", sa.Text(), nullable=True),
        sa.Column("filed_by", sa.Text(), nullable=True),
        sa.Column("filed_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.CheckConstraint(
            "duty IN ('sso', 'pnd1', 'pnd3', 'pnd53', 'pnd1a', 'wht50_employees')",
            name=op.f("ck_tax_filings_duty_known")),
        sa.CheckConstraint(r"period ~ '^\d{4}(-(0[1-9]|1[0-2]))?$'",
                           name=op.f("ck_tax_filings_period_format")),
        sa.CheckConstraint("jsonb_typeof(files) = 'array'",
                           name=op.f("ck_tax_filings_files_is_a_list")),
        sa.CheckConstraint("filed_on IS NULL OR (filed_by IS NOT NULL AND filed_at IS NOT NULL)",
                           name=op.f("ck_tax_filings_filed_has_who_and_when")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_filings")),
        sa.UniqueConstraint("duty", "period", name=op.f("uq_tax_filings_duty_period")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("tax_filings", schema=SCHEMA)
    op.drop_table("wht_certificates", schema=SCHEMA)
    op.drop_index("ix_invoices_paid_on", table_name="invoices", schema=SCHEMA)
    op.drop_column("invoices", "paid_on", schema=SCHEMA)
    for name, _check in SUPPLIER_CHECKS:
        op.drop_constraint(op.f(f"ck_invoice_suppliers_{name}"), "invoice_suppliers",
                           type_="check", schema=SCHEMA)
    for name in ("payee_kind", "branch_no", "title", "first_name", "last_name", "address_line",
                 "subdistrict", "district", "province", "postal_code", "income_type_code",
                 "income_type_label"):
        op.drop_column("invoice_suppliers", name, schema=SCHEMA)
    op.execute("DROP FUNCTION backoffice.thai_tax_id_valid(text)")
