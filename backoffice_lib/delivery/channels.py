"""The channels: e-mail over SMTP (``smtplib``: STARTTLS, implicit TLS, or a loopback relay) and
LINE's push message (plain HTTPS). The only network I/O of delivery; no SQL.

Errors come back as one line without the SMTP password or the LINE token (``rules.one_line``).
"""

from __future__ import annotations

import base64
import email.header
import email.utils
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from .rules import LINE_MAX_WAIT_SECONDS, SmtpSetting, mail_domain, one_line

SMTP_TIMEOUT_SECONDS = 30


class ChannelUnreachable(ConnectionError):
    """The server could not be reached at all (nothing could be tried)."""


class SendFailed(RuntimeError):
    """This one message failed (refused recipient, a 4xx/5xx answer); the message is one line."""


@dataclass(frozen=True)
class Mail:
    """One e-mail as the server gets it (built once, in bytes: the ``email`` package's
    generator took a third of a run's time)."""

    sender: str
    to: str
    message_id: str
    data: bytes


def compose_email(*, sender: str, to: str, subject: str, body: str, message_id: str,
                  attachment: bytes | None = None, file_name: str | None = None) -> Mail:
    """A MIME message: the text (UTF-8) and, when given, the PDF, both base64."""
    boundary = f"=_{uuid.uuid4().hex}"
    headers = [
        f"From: {_header(sender, address=True)}",
        f"To: {to}",
        f"Subject: {_header(subject)}",
        f"Message-ID: {message_id}",
        f"Date: {email.utils.formatdate(localtime=False)}",
        "MIME-Version: 1.0",
    ]
    text_part = (b"Content-Type: text/plain; charset=\"utf-8\"\r\n"
                 b"Content-Transfer-Encoding: base64\r\n\r\n" + _base64(body.encode("utf-8")))
    if attachment is None:
        head = "\r\n".join(headers).encode("ascii") + b"\r\n"
        return Mail(sender, to, message_id, head + text_part)
    name = email.utils.encode_rfc2231(file_name or "document.pdf", "utf-8")
    pdf_part = (b"Content-Type: application/pdf\r\n"
                b"Content-Disposition: attachment; filename*=" + name.encode("ascii") + b"\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" + _base64(attachment))
    headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
    mark = f"--{boundary}".encode("ascii")
    data = (("\r\n".join(headers)).encode("ascii") + b"\r\n\r\n" + mark + b"\r\n"
            + text_part + mark + b"\r\n" + pdf_part + mark + b"--\r\n")
    return Mail(sender, to, message_id, data)


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _header(value: str, address: bool = False) -> str:
    """A header value in ASCII (RFC 2047 for the rest; a display name's address kept)."""
    if address:
        name, mail = email.utils.parseaddr(value)
        return email.utils.formataddr((name, mail), charset="utf-8") if name else mail
    if value.isascii():
        return value
    return email.header.Header(value, "utf-8", maxlinelen=76).encode()


def _bare(sender: str) -> str:
    return email.utils.parseaddr(sender)[1] or sender


def new_message_id(sender: str) -> str:
    """A Message-ID with its angle brackets, generated before the message is handed over."""
    return email.utils.make_msgid(domain=mail_domain(sender))


class SmtpChannel:
    """One SMTP session for a run (reconnected once when the server drops it)."""

    def __init__(self, setting: SmtpSetting, sender: str):
        self.setting = setting
        self.sender = sender
        self._client: smtplib.SMTP | None = None
        self.down: str | None = None  # why the server cannot be reached, once it could not

    def ensure_connected(self) -> None:
        if self._client is None:
            self.connect()

    def _secret(self) -> tuple[str | None, ...]:
        return (self.setting.password,)

    def connect(self) -> None:
        s = self.setting
        try:
            if s.implicit_tls:
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS)
                if s.starttls:
                    client.starttls(context=ssl.create_default_context())
            if s.username:
                client.login(s.username, s.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise ChannelUnreachable(
                f"the mail server {s.host}:{s.port} refused the login of {s.username} "
                f"({error.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as error:
            raise ChannelUnreachable(
                f"the mail server {s.host}:{s.port} cannot be reached: "
                + one_line(error, self._secret())) from None
        self._client = client

    def send(self, message: Mail) -> None:
        """Hand one message over; ``SendFailed`` (one line) when the server refuses it."""
        for attempt in (1, 2):
            if self._client is None:
                self.connect()
            try:
                refused = self._client.sendmail(_bare(message.sender), [message.to],
                                                message.data)
            except smtplib.SMTPRecipientsRefused as error:
                codes = "; ".join(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                                  for code, text in error.recipients.values())
                raise SendFailed(one_line(f"the server refused the recipient: {codes}",
                                          self._secret())) from None
            except smtplib.SMTPServerDisconnected as error:
                self._client = None
                if attempt == 2:
                    raise SendFailed(one_line(f"the server closed the connection: {error}",
                                              self._secret())) from None
                continue
            except smtplib.SMTPResponseException as error:
                text = error.smtp_error.decode(errors="replace") if isinstance(
                    error.smtp_error, bytes) else str(error.smtp_error)
                raise SendFailed(one_line(f"the server answered {error.smtp_code} {text}",
                                          self._secret())) from None
            except (OSError, smtplib.SMTPException) as error:
                self._client = None
                raise SendFailed(one_line(error, self._secret())) from None
            if refused:
                raise SendFailed(one_line(f"the server refused {', '.join(refused)}",
                                          self._secret()))
            return

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._client = None


class LineChannel:
    """LINE Messaging API push (``POST {base}/v2/bot/message/push``)."""

    def __init__(self, base_url: str, token: str, *, sleep=time.sleep,
                 max_wait: int = LINE_MAX_WAIT_SECONDS):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.sleep = sleep
        self.max_wait = max_wait
        self.down: str | None = None  # why LINE cannot be reached, once it could not

    def push(self, to: str, text: str, retry_key: str) -> str:
        """Push one text; returns LINE's ``X-Line-Request-Id``. A 429 waits ``Retry-After`` (at
        most ``max_wait`` seconds) and tries again in the same attempt (three times at most);
        other refusals raise ``SendFailed`` and an unreachable server ``ChannelUnreachable``."""
        body = json.dumps({"to": to, "messages": [{"type": "text", "text": text[:5000]}]},
                          ensure_ascii=False).encode("utf-8")
        for _ in range(3):
            request = urllib.request.Request(
                f"{self.base_url}/v2/bot/message/push", data=body, method="POST",
                headers={"Authorization": f"Bearer {self.token}",
                         "Content-Type": "application/json",
                         "X-Line-Retry-Key": retry_key})
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    return answer.headers.get("X-Line-Request-Id") or retry_key
            except urllib.error.HTTPError as error:
                if error.code == 409:  # this retry key was accepted before: it was sent
                    return error.headers.get("X-Line-Accepted-Request-Id") or retry_key
                if error.code == 429:
                    wait = _retry_after(error.headers.get("Retry-After"))
                    if wait > self.max_wait:
                        raise SendFailed(f"LINE: too many requests (429), retry after {wait} s"
                                         ) from None
                    self.sleep(wait)
                    continue
                detail = _line_error(error)
                raise SendFailed(one_line(f"LINE answered {error.code}: {detail}",
                                          (self.token,))) from None
            except (TimeoutError, urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise ChannelUnreachable(one_line(f"LINE cannot be reached: {reason}",
                                                  (self.token,))) from None
        raise SendFailed("LINE: too many requests (429) three times")


def _retry_after(value: str | None) -> int:
    try:
        return max(0, int(str(value).strip()))
    except ValueError:
        return 1


def _line_error(error: urllib.error.HTTPError) -> str:
    try:
        return json.loads(error.read().decode("utf-8")).get("message", "") or error.reason
    except (ValueError, OSError, AttributeError):
        return str(error.reason)
