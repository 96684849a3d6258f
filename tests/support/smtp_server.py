"""A real SMTP server for the tests (aiosmtpd) on 127.0.0.1.

    python3 smtp_server.py STORE_DIR [--starttls CERT KEY | --implicit-tls CERT KEY]

Prints "READY <port>" once it listens. STORE_DIR is a Maildir: each
accepted message is stored as STORE_DIR/new/<n>.eml (the bytes received,
written to tmp/ first and renamed), its envelope recipients in
STORE_DIR/rcpt/<n>, whether the session was encrypted in STORE_DIR/tls/<n>
("yes" or "no"). Before answering a RCPT it reads STORE_DIR/answers
(when it exists): lines "ADDRESS CODE TEXT"; a recipient listed there gets
that answer (e.g. "451 4.3.0 try again later", "550 5.1.1 user unknown"),
anyone else 250. When STORE_DIR/hold exists ("SECONDS", or "SECONDS@N"
for the N-th message only), the server waits that long after storing a
message before it answers 250: a client killed meanwhile has had its
message accepted without seeing the answer (the crash tests use it).

--starttls offers STARTTLS with the given certificate and key (PEM);
--implicit-tls speaks TLS from the first byte (smtps). Runs until killed.
"""
import argparse
import asyncio
import os
import socket
import ssl
import time

from aiosmtpd.controller import Controller

parser = argparse.ArgumentParser()
parser.add_argument("store")
parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
parser.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
args = parser.parse_args()
store = args.store
for sub in ("tmp", "new", "rcpt", "tls"):
    os.makedirs(os.path.join(store, sub), exist_ok=True)


def answers():
    path = os.path.join(store, "answers")
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.strip().split(" ", 1)
                if len(parts) == 2:
                    out[parts[0].lower()] = parts[1]
    return out


def hold(n):
    """Seconds to wait before answering message n: the hold file holds
    "SECONDS" (every message) or "SECONDS@N" (message N only)."""
    try:
        with open(os.path.join(store, "hold")) as f:
            text = f.read().strip()
        seconds, _, only = text.partition("@")
        if only and int(only) != n:
            return 0.0
        return float(seconds or "0")
    except (OSError, ValueError):
        return 0.0


class Handler:
    def __init__(self):
        # Counted once: listing the store per message would make the
        # server slower with every message it holds.
        self.count = len([f for f in os.listdir(os.path.join(store, "new")) if f.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = answers().get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        n = self.count
        tmp = os.path.join(store, "tmp", f"{n}.eml")
        with open(os.path.join(store, "rcpt", str(n)), "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        with open(os.path.join(store, "tls", str(n)), "w") as f:
            # An implicit-TLS server speaks nothing else.
            f.write("yes" if session.ssl or args.implicit_tls else "no")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(store, "new", f"{n}.eml"))
        wait = hold(n)
        if wait > 0:
            await asyncio.sleep(wait)
        return "250 2.0.0 Message accepted"


def context(pair):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pair[0], pair[1])
    return ctx


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
options = {}
if args.starttls:
    options["tls_context"] = context(args.starttls)
if args.implicit_tls:
    options["ssl_context"] = context(args.implicit_tls)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **options)
controller.start()
print(f"READY {port}", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
