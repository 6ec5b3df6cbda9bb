#!/usr/bin/env python3
"""Stands in for inetd for one connection: listens on ADDR:PORT, accepts one
client, and execs CMD with that TCP socket as its stdin and stdout, as inetd
starts a "nowait" service. CMD keeps this process id, so whoever started
this script can wait for CMD's exit status.

    inetd_once.py ADDR PORT CMD [ARG...]

Exits 2 if no client connects within 60 seconds.
"""

import os
import socket
import sys


def main():
    addr, port, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    srv.settimeout(60)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        print("inetd_once: no client within 60 s", file=sys.stderr)
        sys.exit(2)
    srv.close()
    conn.setblocking(True)
    os.dup2(conn.fileno(), 0)
    os.dup2(conn.fileno(), 1)
    conn.close()
    os.execv(cmd[0], cmd)


main()
