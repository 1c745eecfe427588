"""The SMTP transport: the only module of the project that talks SMTP.

One `Connection` is kept open for a run of messages and opened again after the server drops it.
The server's answer decides what becomes of a message:

- 250: sent.
- 4xx (421 "try again later", 450/451/452), a dropped connection, a refused connection or a
  timeout: `SmtpTemporary`, to retry later with backoff.
- 5xx (550 "no such user", 552, 554): `SmtpPermanent`, not to be sent again; a refused
  recipient (RCPT) is a bounce of that address (`scope == "recipient"`).
- Our own sender address refused: `SmtpTemporary`, whatever the code: a setup error is never
  a subscriber's bounce.

Settings are Django's own EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD,
EMAIL_USE_TLS (STARTTLS), EMAIL_USE_SSL and EMAIL_TIMEOUT.
"""

import smtplib
import ssl

from django.conf import settings


class SmtpError(Exception):
    """`scope` is "recipient" when the server refused this recipient (RCPT), "server" when
    the server or the connection failed whatever the recipient."""

    def __init__(self, code: int | None, text: str, scope: str = "server"):
        self.code, self.text, self.scope = code, text, scope
        super().__init__(f"{code} {text}" if code else text)


class SmtpTemporary(SmtpError):
    retryable = True


class SmtpPermanent(SmtpError):
    retryable = False


def _classify(code: int | None, text, scope: str = "server") -> SmtpError:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    text = " ".join(str(text).split())[:250]
    if code is not None and 500 <= code < 600:
        return SmtpPermanent(code, text, scope)
    return SmtpTemporary(code, text, scope)


class Connection:
    """A reusable SMTP session: `send` opens it when needed; use as a context manager."""

    def __init__(self, host=None, port=None, timeout=None):
        self.host = host or settings.EMAIL_HOST
        self.port = port or settings.EMAIL_PORT
        self.timeout = timeout or settings.EMAIL_TIMEOUT
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self) -> None:
        if self.smtp is not None:
            return
        try:
            if settings.EMAIL_USE_SSL:
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if settings.EMAIL_USE_TLS:
                    smtp.starttls(context=ssl.create_default_context())
            if settings.EMAIL_HOST_USER:
                smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpTemporary(None, f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        self.smtp = smtp

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Send one message to one recipient; raises SmtpTemporary or SmtpPermanent."""
        self.open()
        try:
            refused = self.smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            code, text = next(iter(exc.recipients.values()))
            raise _classify(code, text, scope="recipient") from exc
        except smtplib.SMTPSenderRefused as exc:
            # Our own address refused: a problem of the setup, never the recipient's fault.
            self._reset(drop=exc.smtp_code == 421)
            raise SmtpTemporary(exc.smtp_code, f"sender refused: {exc.smtp_error!r}") from exc
        except smtplib.SMTPResponseException as exc:  # data refused, 421…
            self._reset(drop=exc.smtp_code == 421)
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:  # dropped, timed out
            self._reset(drop=True)
            raise SmtpTemporary(None, f"{type(exc).__name__}: {exc}") from exc
        if refused:  # one recipient only, so this is not reached; kept for safety
            code, text = refused[recipient]
            raise _classify(code, text, scope="recipient")

    def _reset(self, drop: bool = False) -> None:
        """After a refused transaction: RSET for the next one, or a new connection."""
        if not drop and self.smtp is not None:
            try:
                self.smtp.rset()
                return
            except (OSError, smtplib.SMTPException):
                pass
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            smtp.close()
