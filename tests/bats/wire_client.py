#!/usr/bin/env python3
"""A raw distcc wire client for tests: sends exactly the packets it is given
(well-formed or hostile) and prints a transcript of both directions.

    wire_client.py [options] PIECE...

Each PIECE is sent in order:
    DIST00000001      anything else: sent as-is (a header, or garbage)
    ARGV:text         a string packet: header with the length, then text
                      (also CDIR, NAME, LINK, and CAPS: our question)
    DOTI@path         a bulk packet: header with the file's length, then it
    DOTI@lzo:path     the same, the file compressed as one LZO1X-1 block
    DOTI@zstd:path    the same, the file as one zstd frame (level 1)
    body@path         the file's bytes with no header (a body sent alone)
    trickle:S         from here on, send one byte at a time, S seconds apart
    sleep:S           send nothing for S seconds

Options:
    --port N          connect to 127.0.0.1:N
    --source ADDR     from this local address (another loopback one, say)
    --exec CMD...     instead, run CMD (everything after --exec) with one end
                      of a socket pair as its stdin and stdout, like inetd
    --stderr FILE     with --exec: CMD's stderr goes to FILE
    --half-close      shut down our sending side after the last piece
    --timeout S       give up waiting for the peer after S seconds (default 10)
    --ready FILE      create FILE once connected (to order concurrent clients)
    --lzo-zeros N:F   no connection: write N zero bytes, LZO1X-1 compressed,
                      to F (an LZO bomb when N is above the daemon's cap)
    --zstd-zeros N:F  the same as one zstd frame (a zstd bomb)
    --save TOKEN:F    write the (decompressed) body of the reply packet TOKEN
                      (DOTO, DOTD, SERR, SOUT) to file F; repeatable

Transcript on stdout, one line each: "> HEADER [text]" for what was sent,
"< HEADER [text]" for every reply packet (CAPS shows its JSON; bodies of DONE >= 2 replies are
decompressed, as zstd frames when DIST asked for zstd), then how it ended: "closed" (EOF or reset by the peer),
"open after S s" (exit 1), and with --exec "exit N".
Needs only python3 and the lzo2 and zstd libraries distccd itself links.
"""

import ctypes
import ctypes.util
import os
import re
import select
import socket
import subprocess
import sys
import time

BODY_TOKENS = {"DOTI", "DOTO", "DOTD", "SERR", "SOUT", "FILE"}
STRING_TOKENS = {"ARGV", "CDIR", "NAME", "LINK", "CAPS"}
HEADER = re.compile(rb"^([A-Z]{4})([0-9a-fA-F]{8})$")


def lzo_lib():
    name = ctypes.util.find_library("lzo2") or "liblzo2.so.2"
    lib = ctypes.CDLL(name)
    for fn in (lib.lzo1x_1_compress, lib.lzo1x_decompress_safe):
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                       ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
    return lib


def zstd_lib():
    lib = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
    lib.ZSTD_compressBound.restype = ctypes.c_size_t
    lib.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
    lib.ZSTD_compress.restype = ctypes.c_size_t
    lib.ZSTD_compress.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                  ctypes.c_size_t, ctypes.c_int]
    lib.ZSTD_decompress.restype = ctypes.c_size_t
    lib.ZSTD_decompress.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                    ctypes.c_size_t]
    lib.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
    lib.ZSTD_getFrameContentSize.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.ZSTD_isError.restype = ctypes.c_uint
    lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
    return lib


def zstd_compress(data):
    lib = zstd_lib()
    out = ctypes.create_string_buffer(lib.ZSTD_compressBound(len(data)))
    n = lib.ZSTD_compress(out, len(out), data, len(data), 1)
    if lib.ZSTD_isError(n):
        sys.exit("wire_client: ZSTD_compress failed")
    return out.raw[:n]


def zstd_decompress(data):
    lib = zstd_lib()
    size = lib.ZSTD_getFrameContentSize(data, len(data))
    if size >= (1 << 30):
        return b"<zstd body without a usable size>"
    out = ctypes.create_string_buffer(max(size, 1))
    n = lib.ZSTD_decompress(out, size, data, len(data))
    if lib.ZSTD_isError(n):
        return b"<corrupt zstd body>"
    return out.raw[:n]


# Set when the request's DIST asked for zstd (DCC_FEAT_ZSTD, bit 8): the
# reply's bodies are zstd frames then.
ZSTD_REQUEST = False


def lzo_compress(data):
    lib = lzo_lib()
    out = ctypes.create_string_buffer(len(data) + len(data) // 16 + 64 + 3)
    work = ctypes.create_string_buffer(1 << 20)  # above LZO1X_1_MEM_COMPRESS
    outlen = ctypes.c_size_t(len(out))
    rc = lib.lzo1x_1_compress(data, len(data), out, ctypes.byref(outlen), work)
    if rc != 0:
        sys.exit(f"wire_client: lzo1x_1_compress failed ({rc})")
    return out.raw[:outlen.value]


def lzo_decompress(data):
    lib = lzo_lib()
    size = len(data) * 8 + 1024
    while size < (1 << 30):
        out = ctypes.create_string_buffer(size)
        outlen = ctypes.c_size_t(size)
        rc = lib.lzo1x_decompress_safe(data, len(data), out, ctypes.byref(outlen), None)
        if rc == 0:
            return out.raw[:outlen.value]
        if rc != -5:  # LZO_E_OUTPUT_OVERRUN
            return b"<corrupt lzo body, error %d>" % rc
        size *= 2
    return b"<lzo body too large>"


def shown(data):
    """Printable text, one line: escapes for everything else."""
    out = []
    for b in data:
        if 0x20 <= b < 0x7F and b != 0x5C:
            out.append(chr(b))
        elif b == 0x0A:
            out.append("\\n")
        elif b == 0x0D:
            out.append("\\r")
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def header(token, value):
    return b"%s%08x" % (token.encode(), value)


def encode_piece(piece):
    """(bytes to send, transcript line) for one command-line piece."""
    m = re.match(r"^([A-Z]{4}):(.*)$", piece, re.S)
    if m:
        text = m.group(2).encode()
        return header(m.group(1), len(text)) + text, f"> {header(m.group(1), len(text)).decode()} {shown(text)}"
    m = re.match(r"^([A-Z]{4}|body)@(lzo:|zstd:)?(.*)$", piece, re.S)
    if m:
        with open(m.group(3), "rb") as f:
            data = f.read()
        if m.group(2) == "lzo:":
            data = lzo_compress(data)
        elif m.group(2) == "zstd:":
            data = zstd_compress(data)
        if m.group(1) == "body":
            return data, f"> ({len(data)} bytes)"
        h = header(m.group(1), len(data))
        return h + data, f"> {h.decode()} ({len(data)} bytes)"
    raw = piece.encode("utf-8", "surrogateescape")
    m = HEADER.match(raw)
    if m and m.group(1) == b"DIST" and (int(m.group(2), 16) >> 8) & 1:
        global ZSTD_REQUEST
        ZSTD_REQUEST = True
    if HEADER.match(raw):
        return raw, f"> {piece}"
    return raw, f'> "{shown(raw)}"'


class Reader:
    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buf = b""
        self.eof = False

    def fill(self, want):
        while len(self.buf) < want and not self.eof:
            left = self.deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return False
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk
        return True

    def take(self, n):
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def read_replies(reader, timeout, saves=None):
    """Prints reply packets until EOF; False if the peer kept the line open.
    Bodies of the tokens in saves (token -> path) are written to files."""
    version = 0
    while True:
        if not reader.fill(12):
            print(f"open after {timeout:g} s")
            return False
        if len(reader.buf) < 12:
            if reader.buf:
                print(f'< "{shown(reader.take(len(reader.buf)))}"')
            print("closed")
            return True
        hdr = reader.take(12)
        m = HEADER.match(hdr)
        if not m:
            print(f'< "{shown(hdr + reader.take(len(reader.buf)))}"')
            continue
        token, value = m.group(1).decode(), int(m.group(2), 16)
        if token == "DONE":
            version = value
        if token not in BODY_TOKENS and token != "CAPS":
            print(f"< {hdr.decode()}")
            continue
        if not reader.fill(value):
            print(f"< {hdr.decode()} (body cut off)")
            print(f"open after {timeout:g} s")
            return False
        body = reader.take(value)
        if len(body) < value:
            print(f"< {hdr.decode()} (body cut off after {len(body)} bytes)")
            continue
        if version >= 2 and body and token != "CAPS":
            body = zstd_decompress(body) if ZSTD_REQUEST else lzo_decompress(body)
        if saves and token in saves:
            with open(saves[token], "wb") as f:
                f.write(body)
        if token == "DOTO":
            print(f"< {hdr.decode()} ({len(body)} bytes)")
        else:
            print(f"< {hdr.decode()} {shown(body)}".rstrip())


def main(argv):
    port = None
    source = None
    command = None
    stderr_path = None
    half_close = False
    ready_path = None
    timeout = 10.0
    saves = {}
    pieces = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--port":
            port = int(argv[i + 1])
            i += 2
        elif a == "--source":
            source = argv[i + 1]
            i += 2
        elif a == "--stderr":
            stderr_path = argv[i + 1]
            i += 2
        elif a == "--ready":
            ready_path = argv[i + 1]
            i += 2
        elif a == "--save":
            token, path = argv[i + 1].split(":", 1)
            saves[token] = path
            i += 2
        elif a == "--half-close":
            half_close = True
            i += 1
        elif a == "--timeout":
            timeout = float(argv[i + 1])
            i += 2
        elif a == "--zstd-zeros":
            n, path = argv[i + 1].split(":", 1)
            with open(path, "wb") as f:
                f.write(zstd_compress(bytes(int(n))))
            return 0
        elif a == "--lzo-zeros":
            n, path = argv[i + 1].split(":", 1)
            with open(path, "wb") as f:
                f.write(lzo_compress(bytes(int(n))))
            return 0
        elif a == "--exec":
            command = argv[i + 1:]
            break
        else:
            pieces.append(a)
            i += 1
    if (port is None) == (command is None):
        sys.exit("wire_client: give --port N or --exec CMD...")

    proc = None
    if port is not None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                        source_address=(source, 0) if source else None)
    else:
        sock, theirs = socket.socketpair()
        err = open(stderr_path, "ab") if stderr_path else None
        proc = subprocess.Popen(command, stdin=theirs, stdout=theirs, stderr=err)
        theirs.close()
    sock.setblocking(True)
    sock.settimeout(timeout)
    if ready_path:
        open(ready_path, "w").close()

    trickle = None
    for piece in pieces:
        if piece.startswith("trickle:"):
            trickle = float(piece[len("trickle:"):])
            continue
        if piece.startswith("sleep:"):
            time.sleep(float(piece[len("sleep:"):]))
            continue
        data, line = encode_piece(piece)
        print(line)
        try:
            if trickle is None:
                sock.sendall(data)
            else:
                for i in range(len(data)):
                    sock.sendall(data[i:i + 1])
                    time.sleep(trickle)
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            print(f"send stopped: {e.__class__.__name__}")
            break
    if half_close:
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    ok = read_replies(Reader(sock, time.monotonic() + timeout), timeout, saves)
    sock.close()
    if proc is not None:
        try:
            print(f"exit {proc.wait(timeout=timeout)}")
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            print(f"still running after {timeout:g} s")
            ok = False
    sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
