"""smtp_sink.py - an SMTP server on 127.0.0.1 that keeps what it is sent, for tests of the mail the CLI sends.

Built on Debian's aiosmtpd (python3-aiosmtpd, importable by /usr/bin/python3). It takes 8BITMIME and SMTPUTF8
and keeps each message's bytes exactly as received (after SMTP dot-unstuffing).

As a module:
    sink = SmtpSink(reject_rcpt={"nobody@example.org"}, fail_all=False, offer_auth=False)
    sink.start()                 # sink.port: a free port on 127.0.0.1
    ... sink.wait_for(1) ...     # sink.messages: a copy of the list, one dict per message:
                                 #   mail_from, rcpt_tos, data (bytes), headers (EmailMessage, policy default)
    sink.received                # every byte clients sent it, every connection one after the other
offer_auth: AUTH PLAIN and LOGIN are offered over the plain connection (the sink never offers STARTTLS), and
any login is accepted: a server that would take a password in clear, for tests that none is sent.
    sink.stop()

As a script, until killed (SIGTERM or SIGINT end it cleanly):
    /usr/bin/python3 smtp_sink.py --port N --dir DIR [--reject-rcpt ADDR ...] [--fail-all]
writes each message as DIR/0001.eml, DIR/0002.eml, ... (each appears whole: written aside, then renamed).
    /usr/bin/python3 smtp_sink.py --self-test
sends a UTF-8 message with smtplib and checks that it arrives intact.
"""

import argparse
import email
import email.policy
import logging
import os
import signal
import sys
import threading
import time

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult
except ImportError:  # the message says what to install; exit code 3 tells callers the sink never started
    sys.stderr.write(
        "smtp_sink.py needs aiosmtpd: apt-get install python3-aiosmtpd (and run it with /usr/bin/python3)\n"
    )
    sys.exit(3)

from harness import free_port  # noqa: E402  (a port on 127.0.0.1 that nothing listens on just now)

HOST = "127.0.0.1"


class _Handler:
    """aiosmtpd hooks: refuse chosen recipients, fail DATA when asked, otherwise hand the message to the sink."""

    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.reject_rcpt:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.fail_all:
            return "451 4.3.0 temporary failure (the sink was told to fail)"
        self.sink._keep(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        return "250 2.0.0 OK: queued"


# aiosmtpd 1.4 logs a warning about its own use of a deprecated attribute whenever a login is taken
logging.getLogger("mail.log").addFilter(lambda record: "login_data is deprecated" not in record.getMessage())


class _RecordingSMTP(SMTP):
    """aiosmtpd's server, keeping every byte the client sends (before any parsing) in its sink."""

    def __init__(self, sink, *args, **kwargs):
        self._sink = sink
        super().__init__(*args, **kwargs)

    def data_received(self, data):
        with self._sink._lock:
            self._sink._received += data
        super().data_received(data)


class _Controller(Controller):
    def __init__(self, sink, *args, **kwargs):
        self._sink = sink
        super().__init__(*args, **kwargs)

    def factory(self):
        return _RecordingSMTP(self._sink, self.handler, **self.SMTP_kwargs)


class SmtpSink:
    """A threaded SMTP server keeping every message it accepts (see the top of this file)."""

    def __init__(self, port=0, reject_rcpt=(), fail_all=False, directory=None, offer_auth=False):
        self.port = port
        self.offer_auth = offer_auth
        self._received = b""
        self.reject_rcpt = {a.lower() for a in reject_rcpt}
        self.fail_all = fail_all
        self.directory = directory
        self._lock = threading.Condition()
        self._messages = []
        self._controller = None

    @property
    def messages(self):
        """A copy of the list of messages received so far, oldest first."""
        with self._lock:
            return list(self._messages)

    @property
    def received(self):
        """Every byte clients have sent so far (commands, credentials, messages), connections in turn."""
        with self._lock:
            return bytes(self._received)

    def start(self):
        # aiosmtpd's Controller checks it is up by connecting to its port, so port 0 cannot be passed on:
        # take a free one and try again in the rare case another process takes it first.
        tries = 1 if self.port else 5
        for attempt in range(tries):
            port = self.port or free_port()
            auth = {}
            if self.offer_auth:
                auth = {"auth_require_tls": False,
                        "authenticator": lambda server, session, envelope, mechanism, data: AuthResult(success=True)}
            controller = _Controller(
                self,
                _Handler(self),
                hostname=HOST,
                port=port,
                decode_data=False,
                enable_SMTPUTF8=True,
                ready_timeout=10,
                **auth,
            )
            try:
                controller.start()
            except OSError:
                if attempt + 1 == tries:
                    raise
                continue
            self.port = port
            self._controller = controller
            return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def wait_for(self, count, timeout=10.0):
        """The messages once there are at least count of them; AssertionError after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("expected %d message(s), got %d" % (count, len(self._messages)))
                self._lock.wait(left)
            return list(self._messages)

    def _keep(self, mail_from, rcpt_tos, data):
        headers = email.message_from_bytes(data, policy=email.policy.default)
        with self._lock:
            self._messages.append({"mail_from": mail_from, "rcpt_tos": rcpt_tos, "data": data, "headers": headers})
            if self.directory:
                path = os.path.join(self.directory, "%04d.eml" % len(self._messages))
                with open(path + ".tmp", "wb") as f:
                    f.write(data)
                os.rename(path + ".tmp", path)
            self._lock.notify_all()


def self_test():
    import smtplib

    subject = "Réseau £5 — 2026-Q3"
    body = "Bonjour,\r\nthe return for 2026-Q3 is due: £5 café.\r\n.leading dot\r\n"
    message = (
        "From: planreg@example.org\r\n"
        "To: lead@example.org\r\n"
        "Subject: =?UTF-8?B?UsOpc2VhdSDCozUg4oCUIDIwMjYtUTM=?=\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n" + body
    ).encode("utf-8")
    with SmtpSink(reject_rcpt={"nobody@example.org"}) as sink:
        with smtplib.SMTP(HOST, sink.port, timeout=10) as smtp:
            smtp.sendmail("planreg@example.org", ["lead@example.org"], message, mail_options=["BODY=8BITMIME"])
            try:
                smtp.sendmail("planreg@example.org", ["nobody@example.org"], message)
                raise AssertionError("a rejected recipient was accepted")
            except smtplib.SMTPRecipientsRefused as e:
                assert e.recipients["nobody@example.org"][0] == 550, e.recipients
        (got,) = sink.wait_for(1)
        assert got["data"] == message, (got["data"], message)
        assert got["mail_from"] == "planreg@example.org", got["mail_from"]
        assert got["rcpt_tos"] == ["lead@example.org"], got["rcpt_tos"]
        assert got["headers"]["Subject"] == subject, got["headers"]["Subject"]
        assert got["headers"].get_content() == body, got["headers"].get_content()
    # offer_auth: a login in clear is taken, and what was sent is there to be seen
    with SmtpSink(offer_auth=True) as sink:
        with smtplib.SMTP(HOST, sink.port, timeout=10) as smtp:
            smtp.login("lead", "s3cret-in-clear")
            smtp.sendmail("planreg@example.org", ["lead@example.org"], message)
        sink.wait_for(1)
        assert b"AUTH" in sink.received and b"FROM:<planreg@example.org>" in sink.received, sink.received
    with SmtpSink(fail_all=True) as sink:
        with smtplib.SMTP(HOST, sink.port, timeout=10) as smtp:
            try:
                smtp.sendmail("planreg@example.org", ["lead@example.org"], message)
                raise AssertionError("fail_all accepted a message")
            except smtplib.SMTPDataError as e:
                assert e.smtp_code == 451, e
        assert sink.messages == []
    print("smtp_sink self-test: ok")


def main():
    ap = argparse.ArgumentParser(description="An SMTP sink on 127.0.0.1 that writes each message to DIR/NNNN.eml.")
    ap.add_argument("--port", type=int, help="port to listen on (127.0.0.1)")
    ap.add_argument("--dir", help="directory for the messages, created if missing")
    ap.add_argument("--reject-rcpt", action="append", default=[], metavar="ADDR", help="answer 550 to RCPT TO:ADDR")
    ap.add_argument("--fail-all", action="store_true", help="answer 451 at the end of every DATA")
    ap.add_argument("--self-test", action="store_true", help="check the sink with smtplib and exit")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return
    if not args.port or not args.dir:
        ap.error("--port and --dir are required (or --self-test)")
    os.makedirs(args.dir, exist_ok=True)
    sink = SmtpSink(port=args.port, reject_rcpt=args.reject_rcpt, fail_all=args.fail_all, directory=args.dir)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sink.start()
    print("smtp_sink listening on %s:%d, writing to %s" % (HOST, sink.port, args.dir), flush=True)
    while not stop.wait(1.0):
        pass
    sink.stop()


if __name__ == "__main__":
    main()
