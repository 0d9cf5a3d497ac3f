"""`backoffice invoice ...` (supplier invoices, business-rules §6).

Exit codes: 0 success; 2 bad input (one line on stderr); 3 the withholding filings or
certificates refused because a supplier (or the studio's settings) lacks a field a form needs
(each supplier and field named, nothing written).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import click

from .. import access, database, settings, values
from ..invoices import queries as invoice_queries
from ..invoices import rules as invoice_rules
from ..invoices import service as invoice_service
from .params import DATE, MONTH, DecimalNumber, date_option, fail, json_default

EXIT_MISSING_FIELDS = 3


def _check_item_numbers(text: str) -> None:
    """An item's quantity and unit price: values.parse_money (ASCII digits, thousands commas
    allowed, at most 2 decimals, within numeric(12,2)); the description may be any text."""
    parts = text.rsplit(";", 2)
    if len(parts) != 3:
        fail(f'--item must look like "description;quantity;unit_price", not {text!r}')
    for what, raw in (("quantity", parts[1]), ("unit price", parts[2])):
        try:
            values.parse_money(raw.strip(), f"--item {what}")
        except values.BadNumber as exc:
            fail(str(exc))


USER_OPTION = click.option(
    "--user", "user", envvar="BACKOFFICE_USER", help="acting user's e-mail (or BACKOFFICE_USER)"
)



@click.group()
def invoice() -> None:
    """Supplier invoices: create, PDF, void, suppliers."""


@invoice.command("create")
@click.option("--supplier", "supplier_id", required=True, help="supplier id (see `invoice suppliers`)")
@click.option("--date", "invoice_date", required=True, help="invoice date YYYY-MM-DD")
@click.option("--item", "items", multiple=True, required=True,
              help='"description;quantity;unit_price", repeat for each item')
@click.option("--tax-rate", default=None, type=DecimalNumber(Decimal(100), what="the tax rate"),
              help="withholding tax percent (default: invoice_settings.default_wht_rate)")
@USER_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def invoice_create(supplier_id, invoice_date, items, tax_rate, user, fmt) -> None:
    """Create an invoice; the library computes totals, withholding tax and the number."""
    day = date_option(invoice_date, "--date")
    for text in items:
        _check_item_numbers(text)
    access.require(user, "invoices")
    try:
        parsed = [invoice_rules.parse_item(text) for text in items]
        with database.transaction() as conn:
            created = invoice_service.create_invoice(conn, user, supplier_id=supplier_id, invoice_date=day,
                                              items=parsed, tax_rate=tax_rate)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    if fmt == "json":
        keys = ("invoice_number", "invoice_date", "subtotal", "tax_rate", "tax_amount",
                "total_amount", "status")
        payload = {k: created[k] for k in keys}
        payload["id"] = str(created["id"])
        payload["supplier"] = created["supplier"]["name"]
        payload["items"] = created["items"]
        click.echo(json.dumps(payload, default=json_default, ensure_ascii=False))
        return
    click.echo(
        f"invoice {created['invoice_number']} for {created['supplier']['name']}: subtotal "
        f"{created['subtotal']}, withholding tax {created['tax_rate']}% {created['tax_amount']}, "
        f"total {created['total_amount']}"
    )


@invoice.command("pdf")
@click.argument("number")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="where to write the PDF")
@USER_OPTION
def invoice_pdf_command(number, out, user) -> None:
    """Write the PDF of invoice NUMBER to FILE (the download is audited)."""
    access.require(user, "invoices")
    try:
        with database.transaction() as conn:
            _, content = invoice_service.load_invoice_pdf(conn, user, number)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    target = Path(out)
    try:
        settings.private_dir(target.parent, narrow_existing=False)
        settings.write_private_bytes(target, content)
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")
    click.echo(str(target))


@invoice.command("void")
@click.argument("number")
@click.option("--reason", required=True, help="why the invoice is voided")
@USER_OPTION
def invoice_void(number, reason, user) -> None:
    """Void invoice NUMBER (invoices are never deleted)."""
    access.require(user, "invoices")
    try:
        with database.transaction() as conn:
            invoice_service.void_invoice(conn, user, number, reason)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    click.echo(f"invoice {number} is void")


@invoice.command("list")
@click.option("--month", default=None, help="YYYY-MM (default: all)")
@USER_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def invoice_list(month, user, fmt) -> None:
    """Invoices in numeric order, with the month's totals and withholding tax to remit."""
    from .. import bangkok

    access.require(user, "invoices")
    try:
        with database.transaction() as conn:
            frame = invoice_queries.load_invoices(conn, month)
    except bangkok.BadMonth as exc:
        fail(str(exc))
    totals = invoice_rules.compute_month_totals(frame)
    if fmt == "json":
        payload = {"invoices": frame.to_dict("records"), "totals": totals}
        click.echo(json.dumps(payload, default=json_default, ensure_ascii=False))
        return
    for row in frame.to_dict("records"):
        click.echo(f"{row['invoice_number']}  {row['invoice_date']}  {row['status']:<6}  "
                   f"{row['total_amount']:>12}  {row['supplier_name']}")
    click.echo(f"{totals['invoices']} invoice(s): subtotal {totals['subtotal']}, withholding tax "
               f"to remit {totals['withholding_tax_to_remit']}, net paid {totals['net_paid']}")


@invoice.command("suppliers")
@USER_OPTION
def invoice_suppliers(user) -> None:
    """Suppliers with their ids."""
    access.require(user, "invoices")
    with database.transaction() as conn:
        rows = invoice_queries.load_suppliers(conn)
    for row in rows:
        click.echo(f"{row['id']}  {row['tax_id'] or '-':<15}  {row['name']}")


@invoice.command("settings")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="change a setting, e.g. company_branch_no=00000 (repeat for more)")
@USER_OPTION
def invoice_settings(assignments, user) -> None:
    """Show the invoice settings (the studio on invoices and forms); --set changes them."""
    access.require(user, "invoices")
    pairs = []
    for text in assignments:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            fail(f"--set must look like KEY=VALUE, not {text!r}")
        pairs.append((key.strip(), value))
    try:
        with database.transaction() as conn:
            for key, value in pairs:
                invoice_service.save_invoice_setting(conn, user, key, value)
            current = invoice_queries.load_invoice_settings(conn)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    for key in sorted(current):
        click.echo(f"{key} = {current[key]}")


def _payee_options(command):
    """The payee data of the withholding forms (supplier-tax.md §2), shared by supplier-add and
    supplier-set; an option not given changes nothing."""
    options = [
        click.option("--payee-kind", type=click.Choice(["individual", "juristic"]), default=None,
                     help="individual (ภ.ง.ด.3) or juristic person (ภ.ง.ด.53)"),
        click.option("--branch", "branch_no", default=None,
                     help="branch number, 5 digits (00000: head office)"),
        click.option("--title", default=None, help="an individual's title: นาย, นาง, นางสาว, Mr, Mrs, Ms"),
        click.option("--first-name", default=None, help="an individual's first name"),
        click.option("--last-name", default=None, help="an individual's last name"),
        click.option("--address-line", default=None, help="number, building, soi, road"),
        click.option("--subdistrict", default=None, help="ตำบล / แขวง"),
        click.option("--district", default=None, help="อำเภอ / เขต"),
        click.option("--province", default=None, help="จังหวัด"),
        click.option("--postal-code", default=None, help="5 digits"),
        click.option("--income-type-code", default=None, help="e.g. 40(8) (the default)"),
        click.option("--income-type-label", default=None,
                     help="its Thai label, e.g. ค่าบริการ / ค่าจ้างทำของ"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


PAYEE_KEYS = ("payee_kind", "branch_no", "title", "first_name", "last_name", "address_line",
              "subdistrict", "district", "province", "postal_code", "income_type_code",
              "income_type_label")


@invoice.command("supplier-add")
@click.option("--name", required=True, help="the supplier's name (a company's registered name)")
@click.option("--tax-id", default=None, help="13 digits with the Thai check digit")
@click.option("--address-line1", default=None)
@click.option("--address-line2", default=None)
@click.option("--bank-name", default=None)
@click.option("--bank-account", default=None)
@_payee_options
@USER_OPTION
def invoice_supplier_add(name, tax_id, address_line1, address_line2, bank_name, bank_account,
                         user, **payee):
    """Add a supplier (tax id unique); prints its id."""
    access.require(user, "invoices")
    fields = {k: v for k, v in payee.items() if v is not None}
    try:
        with database.transaction() as conn:
            row = invoice_service.create_supplier(
                conn, user, name=name, tax_id=tax_id, address_line1=address_line1,
                address_line2=address_line2, bank_name=bank_name, bank_account=bank_account,
                **fields)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    click.echo(str(row["id"]))


@invoice.command("supplier-set")
@click.argument("supplier_id")
@click.option("--name", default=None, help="the supplier's name (a company's registered name)")
@click.option("--tax-id", default=None, help="13 digits with the Thai check digit")
@_payee_options
@USER_OPTION
def invoice_supplier_set(supplier_id, name, tax_id, user, **payee) -> None:
    """Change a supplier's payee data for the withholding forms (only the options given)."""
    access.require(user, "invoices")
    fields = {k: v for k, v in {"name": name, "tax_id": tax_id, **payee}.items()
              if v is not None}
    if not fields:
        fail("nothing to change: give at least one option (see --help)")
    try:
        with database.transaction() as conn:
            invoice_service.set_supplier_tax_data(conn, user, supplier_id, **fields)
            missing = [field for who, field in invoice_service.missing_supplier_data(
                conn, supplier_id)]
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    click.echo(f"supplier {supplier_id} updated"
               + (f"; still missing for the forms: {', '.join(missing)}" if missing else ""))


@invoice.command("pay")
@click.argument("number")
@click.option("--date", "paid_on", required=True, type=DATE,
              help="the Bangkok date the studio paid, YYYY-MM-DD")
@click.option("--reason", default=None, help="why an earlier payment date is changed")
@USER_OPTION
def invoice_pay(number, paid_on, reason, user) -> None:
    """Record the date invoice NUMBER was paid (a changed date needs --reason)."""
    access.require(user, "invoices")
    try:
        with database.transaction() as conn:
            paid = invoice_service.mark_invoice_paid(conn, user, number, paid_on, reason)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    click.echo(f"invoice {paid['invoice_number']} paid on {paid['paid_on']}")


def _refuse_missing(exc) -> None:
    """Fields the forms need: each supplier and field on its own line, exit 3."""
    for who, field in exc.missing:
        click.echo(f"error: {who}: {field} is missing", err=True)
    click.echo("error: nothing was written; complete the data (`backoffice invoice supplier-set`"
               " or the invoice settings) and run again", err=True)
    raise SystemExit(EXIT_MISSING_FIELDS)


@invoice.command("filings")
@click.option("--month", required=True, type=MONTH, help="month of payment, YYYY-MM")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="folder for pnd3_/pnd53_<month>.txt/.xlsx/.pdf")
@USER_OPTION
def invoice_filings(month, out, user) -> None:
    """Write the month's ภ.ง.ด.3 and ภ.ง.ด.53 (text file, workbook, PDF attachment)."""
    from ..invoices.reports import withholding as withholding_files

    access.require(user, "invoices")
    try:
        with database.transaction() as conn:
            paths = withholding_files.write_withholding_filings(conn, user, month, Path(out))
            filed = {form: row["filed_on"] for form in ("pnd3", "pnd53")
                     for row in [invoice_queries.load_filing(conn, form, month)]
                     if row and row["filed_on"]}
    except invoice_service.MissingFields as exc:
        _refuse_missing(exc)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write into {out}: {exc.strerror}")
    written = {p.name.split("_")[0] for p in paths}
    for form, label in (("pnd3", "ภ.ง.ด.3"), ("pnd53", "ภ.ง.ด.53")):
        if form not in written:
            click.echo(f"{label} {month}: no tax withheld, no files")
        elif form in filed:
            click.echo(f"{label} {month} is recorded as filed on {filed[form]}: the filing "
                       "register keeps the files it was filed with")
    for path in paths:
        click.echo(str(path))


@invoice.command("certificates")
@click.option("--month", required=True, type=MONTH, help="month of payment, YYYY-MM")
@click.option("--out", "out", default=None, type=click.Path(file_okay=False),
              help="folder for wht50_<book>-<number>.pdf")
@click.option("--deliver", is_flag=True,
              help="e-mail each supplier theirs, encrypted with its tax ID, once")
@click.option("--dry-run", is_flag=True, help="with --deliver: who would get one, who not")
@USER_OPTION
def invoice_certificates(month, out, deliver, dry_run, user) -> None:
    """Write the month's supplier 50 ทวิ, one PDF per payment (numbers kept on rerun)."""
    from ..invoices.reports import certificates as certificate_files

    access.require(user, "invoices")
    if not out and not deliver:
        fail("say where the certificates go: --out DIR, --deliver, or both")
    if dry_run and not deliver:
        fail("--dry-run goes with --deliver")
    if not out:
        _deliver_certificates(month, user, dry_run)
        return
    try:
        with database.transaction() as conn:
            paths = certificate_files.write_withholding_certificates(conn, user, month, Path(out))
    except invoice_service.MissingFields as exc:
        _refuse_missing(exc)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write into {out}: {exc.strerror}")
    if not paths:
        click.echo(f"{month}: no payment with tax withheld, no certificates")
    for path in paths:
        click.echo(str(path))
    if deliver:
        _deliver_certificates(month, user, dry_run)


def _deliver_certificates(month, user, dry_run) -> None:
    """E-mail the month's supplier certificates (exit 0 nothing failed, 1 some failed, 2 nothing
    could be tried or a refusal)."""
    from ..invoices.reports.delivery import deliver_supplier_certificates
    from .outbox import echo_delivery_report

    try:
        report = deliver_supplier_certificates(month, user, dry_run=dry_run)
    except invoice_service.MissingFields as exc:
        _refuse_missing(exc)
    except ValueError as exc:  # InvoiceError, no mail server
        fail(str(exc))
    echo_delivery_report(report, "supplier 50 ทวิ")


@invoice.command("supplier-email")
@click.argument("supplier_id")
@click.argument("address")
@USER_OPTION
def invoice_supplier_email(supplier_id, address, user) -> None:
    """Set where a supplier's 50 ทวิ is e-mailed ("" for nowhere); audited."""
    from ..invoices.reports.delivery import save_supplier_email

    access.require(user, "invoices")
    try:
        with database.transaction() as conn:
            row = save_supplier_email(conn, user, supplier_id, address)
    except invoice_rules.InvoiceError as exc:
        fail(str(exc))
    click.echo(f"supplier {supplier_id}: e-mail {row['email'] or '(none)'}")
