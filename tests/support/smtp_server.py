"""A real SMTP server for the tests (aiosmtpd) on 127.0.0.1.

    python3 smtp_server.py STORE_DIR

Prints "READY <port>" once it listens. Each accepted message is stored as
STORE_DIR/<n>.eml (the bytes received), its envelope recipient in
<n>.rcpt. Before answering a RCPT it reads STORE_DIR/answers (when it
exists): lines "ADDRESS CODE TEXT"; a recipient listed there gets that
answer (e.g. "451 4.3.0 try again later", "550 5.1.1 user unknown"),
anyone else 250. Runs until killed.
"""
import os
import socket
import sys
import time

from aiosmtpd.controller import Controller

store = sys.argv[1]
os.makedirs(store, exist_ok=True)


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


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = answers().get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(store) if f.endswith(".eml")]) + 1
        tmp = os.path.join(store, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(store, f"{n}.rcpt"), "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        os.rename(tmp, os.path.join(store, f"{n}.eml"))
        return "250 2.0.0 Message accepted"


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print(f"READY {port}", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
