"""`backoffice invoice pay / supplier-add / supplier-set / filings / certificates`: output, exit
codes (2 a refusal in one line, 3 a missing field with nothing written), admins only."""

from __future__ import annotations

import stat
import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from backoffice_lib.cli import cli
from backoffice_lib.invoices import rules, service

PAYER = {"company_name": "Fairway Golf Studio Co., Ltd.", "company_tax_id": "0105566012344",
         "company_branch_no": "00000", "company_address_line": "88/8 Sukhumvit Soi 24",
         "company_subdistrict": "Khlong Tan", "company_district": "Khlong Toei",
         "company_province": "Bangkok", "company_postal_code": "10110"}


def tax_id(n: int, first: str = "3") -> str:
    twelve = f"{first}{n:011d}"
    return twelve + str(rules.compute_tax_id_check_digit(twelve))


@pytest.fixture(scope="module")
def committed(engine):
    """An admin and a non-admin committed (each command runs its own transaction)."""
    tag = uuid.uuid4().hex[:8]
    admin, clerk = f"wht-admin-{tag}@studio.example", f"wht-clerk-{tag}@studio.example"
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO backoffice.allowed_users (email, is_admin)"
                          " VALUES (:a, true), (:c, false)"), {"a": admin, "c": clerk})
        for key, value in PAYER.items():
            service.save_invoice_setting(c, admin, key, value)
    return {"admin": admin, "clerk": clerk, "engine": engine}


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def add_coach(committed, n: int, *extra: str) -> str:
    result = run("invoice", "supplier-add", "--name", f"Coach {n}", "--tax-id", tax_id(n),
                 "--payee-kind", "individual", "--title", "Mr", "--first-name", f"First{n}",
                 "--last-name", "Last", "--address-line", "1 Soi Ari", "--subdistrict",
                 "Samsen Nai", "--district", "Phaya Thai", "--province", "Bangkok",
                 "--postal-code", "10400", *extra, "--user", committed["admin"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def add_invoice(committed, supplier: str, day: str) -> str:
    result = run("invoice", "create", "--supplier", supplier, "--date", day, "--item",
                 "Coaching;1;10000", "--user", committed["admin"], "--format", "json")
    assert result.exit_code == 0, result.output
    import json
    return json.loads(result.output)["invoice_number"]


def test_supplier_add_with_payee_data_and_supplier_set_changing_one_field(committed):
    supplier = add_coach(committed, 1, "--branch", "3")
    result = run("invoice", "supplier-set", supplier, "--district", "Bang Rak", "--user",
                 committed["admin"])
    assert result.exit_code == 0 and "updated" in result.output
    with committed["engine"].begin() as c:
        row = service.load_supplier(c, supplier)
    assert (row["district"], row["subdistrict"], row["branch_no"]) == ("Bang Rak", "Samsen Nai",
                                                                       "00003")


def test_supplier_set_refuses_a_wrong_check_digit_in_one_line(committed):
    supplier = add_coach(committed, 2)
    result = run("invoice", "supplier-set", supplier, "--tax-id", "3000000000020", "--user",
                 committed["admin"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "check digit" in result.output


def test_supplier_set_names_what_is_still_missing(committed):
    result = run("invoice", "supplier-add", "--name", "Half Done", "--user", committed["admin"])
    supplier = result.output.strip()
    result = run("invoice", "supplier-set", supplier, "--payee-kind", "juristic", "--user",
                 committed["admin"])
    assert result.exit_code == 0 and "still missing for the forms: tax_id" in result.output


def test_pay_then_a_changed_date_needs_a_reason(committed):
    number = add_invoice(committed, add_coach(committed, 3), "2024-01-10")
    assert run("invoice", "pay", number, "--date", "2024-01-15", "--user",
               committed["admin"]).output == f"invoice {number} paid on 2024-01-15\n"
    refused = run("invoice", "pay", number, "--date", "2024-01-16", "--user", committed["admin"])
    assert refused.exit_code == 2 and "needs a reason" in refused.output
    changed = run("invoice", "pay", number, "--date", "2024-01-16", "--reason", "bank date",
                  "--user", committed["admin"])
    assert changed.exit_code == 0 and "2024-01-16" in changed.output


def test_a_void_invoice_cannot_be_paid_and_a_clerk_cannot_pay(committed):
    number = add_invoice(committed, add_coach(committed, 4), "2024-01-10")
    clerk = run("invoice", "pay", number, "--date", "2024-01-15", "--user", committed["clerk"])
    assert clerk.exit_code == 2 and "not an admin" in clerk.output
    assert run("invoice", "void", number, "--reason", "twice", "--user",
               committed["admin"]).exit_code == 0
    refused = run("invoice", "pay", number, "--date", "2024-01-15", "--user", committed["admin"])
    assert refused.exit_code == 2 and "void and cannot be paid" in refused.output


def test_filings_refuse_a_missing_address_with_exit_3_and_write_nothing(committed, tmp_path):
    complete = add_coach(committed, 5)
    result = run("invoice", "supplier-add", "--name", "No Address", "--tax-id", tax_id(6),
                 "--payee-kind", "individual", "--title", "Ms", "--first-name", "No",
                 "--last-name", "Address", "--user", committed["admin"])
    incomplete = result.output.strip()
    for supplier in (complete, incomplete):
        number = add_invoice(committed, supplier, "2024-02-01")
        run("invoice", "pay", number, "--date", "2024-02-05", "--user", committed["admin"])
    out = tmp_path / "out"
    refused = CliRunner().invoke(cli, ["invoice", "filings", "--month", "2024-02", "--out",
                                       str(out), "--user", committed["admin"]])
    assert refused.exit_code == 3
    for field in ("address_line", "subdistrict", "district", "province", "postal_code"):
        assert f"No Address: {field} is missing" in refused.output
    assert "nothing was written" in refused.output
    assert not out.exists()
    certificates = CliRunner().invoke(cli, ["invoice", "certificates", "--month", "2024-02",
                                            "--out", str(out), "--user", committed["admin"]])
    assert certificates.exit_code == 3 and not out.exists()


def test_filings_and_certificates_of_a_month(committed, tmp_path):
    number = add_invoice(committed, add_coach(committed, 7), "2024-03-29")
    run("invoice", "pay", number, "--date", "2024-04-02", "--user", committed["admin"])
    result = run("invoice", "filings", "--month", "2024-04", "--out", str(tmp_path), "--user",
                 committed["admin"])
    assert result.exit_code == 0, result.output
    assert "ภ.ง.ด.53 2024-04: no tax withheld, no files" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "pnd3_2024-04.pdf", "pnd3_2024-04.txt", "pnd3_2024-04.xlsx"]
    text = (tmp_path / "pnd3_2024-04.txt").read_bytes()
    assert text == (f"1|{tax_id(7)}|00000|Mr|First7|Last|1 Soi Ari|Samsen Nai|Phaya Thai|Bangkok|"
                    "10400|02042567|ค่าบริการ / ค่าจ้างทำของ|3.00|10000.00|300.00|1\r\n"
                    ).encode()
    result = run("invoice", "certificates", "--month", "2024-04", "--out", str(tmp_path / "c"),
                 "--user", committed["admin"])
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "c").iterdir()
    assert path.name.startswith("wht50_2567-") and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_month_without_withholding_says_so(committed, tmp_path):
    result = run("invoice", "filings", "--month", "2019-06", "--out", str(tmp_path / "none"),
                 "--user", committed["admin"])
    assert result.exit_code == 0
    assert "ภ.ง.ด.3 2019-06: no tax withheld" in result.output
    assert not (tmp_path / "none").exists()


def test_invoice_settings_show_and_set_the_studio_checked(committed):
    result = run("invoice", "settings", "--set", "company_branch_no=1", "--user",
                 committed["admin"])
    assert result.exit_code == 0 and "company_branch_no = 00001" in result.output
    refused = run("invoice", "settings", "--set", "company_tax_id=0105566012345", "--user",
                  committed["admin"])
    assert refused.exit_code == 2 and "check digit" in refused.output
    refused = run("invoice", "settings", "--set", "company_colour=blue", "--user",
                  committed["admin"])
    assert refused.exit_code == 2 and "unknown invoice setting" in refused.output
    run("invoice", "settings", "--set", "company_branch_no=00000", "--user", committed["admin"])


def test_filings_made_again_after_filing_say_the_register_keeps_the_filed_files(committed,
                                                                              tmp_path):
    number = add_invoice(committed, add_coach(committed, 8), "2024-05-02")
    run("invoice", "pay", number, "--date", "2024-05-06", "--user", committed["admin"])
    assert run("invoice", "filings", "--month", "2024-05", "--out", str(tmp_path / "a"),
               "--user", committed["admin"]).exit_code == 0
    with committed["engine"].begin() as c:
        c.execute(sa.text("UPDATE backoffice.tax_filings SET filed_on = '2024-06-14',"
                          " receipt_no = 'R1', filed_by = :a, filed_at = now()"
                          " WHERE duty = 'pnd3' AND period = '2024-05'"), {"a": committed["admin"]})
        kept = c.execute(sa.text("SELECT files FROM backoffice.tax_filings WHERE duty = 'pnd3'"
                                 " AND period = '2024-05'")).scalar_one()
    again = run("invoice", "filings", "--month", "2024-05", "--out", str(tmp_path / "b"),
                "--user", committed["admin"])
    assert again.exit_code == 0
    assert "ภ.ง.ด.3 2024-05 is recorded as filed on 2024-06-14" in again.output
    with committed["engine"].begin() as c:
        assert c.execute(sa.text("SELECT files FROM backoffice.tax_filings WHERE duty = 'pnd3'"
                                 " AND period = '2024-05'")).scalar_one() == kept
