#!/usr/bin/env python3
"""Records the DOTI body of one distcc request exactly as it came off the wire.

    capture-doti.py PORTFILE OUT

Listens on 127.0.0.1 (a free port, written to PORTFILE), reads one request
(DIST, ARGC, ARGV..., DOTI), writes the DOTI body unchanged (for a ,lzo host:
still compressed) to OUT, and hangs up without a reply.
"""
import re
import socket
import sys


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            sys.exit(f"capture-doti: connection ended after {len(data)} of {n} bytes")
        data += chunk
    return data


def main():
    portfile, out = sys.argv[1], sys.argv[2]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    with open(portfile, "w") as f:
        f.write(f"{srv.getsockname()[1]}\n")
    conn, _ = srv.accept()
    srv.close()
    while True:
        hdr = read_exact(conn, 12)
        m = re.fullmatch(rb"([A-Z]{4})([0-9a-f]{8})", hdr)
        if not m:
            sys.exit(f"capture-doti: not a distcc header: {hdr!r}")
        token, value = m.group(1), int(m.group(2), 16)
        if token in (b"ARGV", b"DOTI"):
            body = read_exact(conn, value)
            if token == b"DOTI":
                with open(out, "wb") as f:
                    f.write(body)
                conn.close()
                return


main()
