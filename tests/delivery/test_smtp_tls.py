"""The mail server over STARTTLS and over implicit TLS (``smtps://``), its certificate checked:
a real aiosmtpd server in process with a certificate of a test authority (``SSL_CERT_FILE``);
the password goes only over TLS (the server refuses AUTH in clear)."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from delivery_fixtures import (
    ADMIN,
    MONTH,
    SENDER,
    SmtpServer,
    world,  # noqa: F401 (fixtures)
)

from backoffice_lib.delivery.service import Channels
from backoffice_lib.payroll.service.delivery import deliver_payslips

PASSWORD = "tls-only-Pa55"


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


@pytest.fixture
def certificates(tmp_path, monkeypatch):
    """A test authority (trusted through SSL_CERT_FILE) and a server certificate for 127.0.0.1."""
    import ipaddress

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("test CA")).issuer_name(_name("test CA"))
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                       crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False,
                                       decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return server


def authenticate(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=auth_data.login == b"payroll"
                      and auth_data.password == PASSWORD.encode())


@pytest.mark.parametrize("scheme", ["starttls", "smtps"])
def test_payslips_go_over_starttls_and_implicit_tls_with_the_certificate_checked(
        world, certificates, scheme):
    if scheme == "starttls":
        server = SmtpServer(tls_context=certificates, require_starttls=True,
                            authenticator=authenticate)
        url = f"smtp://payroll:{PASSWORD}@127.0.0.1:{server.port}?starttls=1"
    else:
        # the whole session is TLS; aiosmtpd counts only STARTTLS as TLS for AUTH
        server = SmtpServer(ssl_context=certificates, authenticator=authenticate,
                            auth_require_tls=False)
        url = f"smtps://payroll:{PASSWORD}@127.0.0.1:{server.port}"
    server.controller.start()
    try:
        report = deliver_payslips(MONTH, ADMIN, engine=world.engine,
                                  channels=Channels(smtp_url=url, mail_from=SENDER))
    finally:
        server.controller.stop()
    assert len(report.sent) == 2 and report.exit_code == 0, report.failed
    assert len(server.recorder.messages) == 2


def test_a_server_whose_certificate_is_not_trusted_is_not_sent_to(world, certificates,
                                                                   monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    server = SmtpServer(tls_context=certificates, require_starttls=True,
                        authenticator=authenticate)
    server.controller.start()
    try:
        report = deliver_payslips(
            MONTH, ADMIN, engine=world.engine,
            channels=Channels(smtp_url=f"smtp://payroll:{PASSWORD}@127.0.0.1:{server.port}"
                                       "?starttls=1", mail_from=SENDER))
    finally:
        server.controller.stop()
    assert report.sent == [] and report.exit_code == 2
    assert all("CERTIFICATE_VERIFY_FAILED" in e["why"] for e in report.failed)
    assert all(PASSWORD not in e["why"] for e in report.failed)
    assert server.recorder.messages == []
