#!/usr/bin/env python3
"""A local SMTP sink for tests: accepts every message and keeps it on disk.

    python3 tools/smtp-sink.py --port 2525 --dir /tmp/mail [--exit-with-stdin]

Each message is written to DIR as NNNNNN.eml (the bytes as received) before the
server answers 250, and then gets one line of JSON in DIR/index.jsonl:
{"file", "mail_from", "rcpt_tos", "message_id", "subject"}. So once the client
has been told the message was accepted, it is on disk and in the index.

`--port 0` takes a free port. When ready it prints "listening on
127.0.0.1:PORT" on stdout. With --exit-with-stdin it exits when its standard
input closes, so a test harness that dies cannot leave it running.

Needs aiosmtpd (python3 -m pip install aiosmtpd).
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import sys
import threading

try:
    from aiosmtpd.smtp import SMTP
except ImportError:
    sys.exit("smtp-sink: aiosmtpd is not installed: python3 -m pip install aiosmtpd")


class DiskHandler:
    """Writes each message to a file and appends it to the index."""

    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.index_path = os.path.join(directory, "index.jsonl")

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = f"{self.count:06d}.eml"
        path = os.path.join(self.directory, name)
        partial = path + ".partial"
        with open(partial, "wb") as f:
            f.write(envelope.original_content or envelope.content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.compat32)
        entry = {
            "file": name,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "message_id": (parsed.get("Message-ID") or "").strip(),
            "subject": str(parsed.get("Subject") or ""),
        }
        with open(self.index_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return "250 Message accepted for delivery"


def exit_when_stdin_closes():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


async def serve(host, port, directory):
    loop = asyncio.get_running_loop()
    handler = DiskHandler(directory)
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True, hostname="smtp-sink.test"),
        host=host,
        port=port,
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on {host}:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="0 takes a free port")
    parser.add_argument("--dir", required=True, help="where messages are written")
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="exit when standard input closes",
    )
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    if args.exit_with_stdin:
        threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    try:
        asyncio.run(serve(args.host, args.port, args.dir))
    except OSError as e:
        sys.exit(f"smtp-sink: cannot listen on {args.host}:{args.port}: {e}")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
