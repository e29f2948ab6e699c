"""A real SMTP server for Townhall's tests: aiosmtpd from PyPI (tests/requirements-smtp.txt,
installed with hashes by `make test`), run by tests/it/smtp.rs.

    python3 tests/smtp_server.py DIR

Listens on a free port of 127.0.0.1 and prints "listening on PORT" once. Every message it
accepts is written whole to DIR/NNNNNN.eml (written aside, then renamed, so a reader never sees
half a message). While DIR/refuse exists, recipients are refused with a temporary error (451),
as a relay that is busy or rate limiting does; recipients listed in DIR/reject (one address a
line) are refused for good (550), as addresses that do not exist are.
"""

import asyncio
import itertools
import os
import sys

from aiosmtpd.smtp import SMTP


class Keep:
    def __init__(self, folder):
        self.folder = folder
        self.count = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if os.path.exists(os.path.join(self.folder, "refuse")):
            return "451 4.3.0 Try again later"
        reject = os.path.join(self.folder, "reject")
        if os.path.exists(reject):
            with open(reject) as f:
                if address.lower() in (line.strip().lower() for line in f):
                    return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.count)
        aside = os.path.join(self.folder, f"{n:06d}.part")
        with open(aside, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(aside, os.path.join(self.folder, f"{n:06d}.eml"))
        return "250 2.0.0 Message accepted"


async def main(folder):
    loop = asyncio.get_running_loop()
    keep = Keep(folder)  # one for every connection, so that messages are numbered in turn
    server = await loop.create_server(
        lambda: SMTP(keep, hostname="relay.test", enable_SMTPUTF8=True),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"listening on {port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
