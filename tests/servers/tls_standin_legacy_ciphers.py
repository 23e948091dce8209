#!/usr/bin/env python3
"""STAND-IN, not a real TLS server: answers ClientHellos the way a legacy server would.

Debian's OpenSSL 3.0 cannot offer SSL 3.0, RC4, DES, 3DES or export cipher suites, so no server
on this machine can show them. This responder reads a ClientHello and, when the client offers
one of the suites it was told to "support", answers with a ServerHello choosing it (the bytes a
legacy server sends first: record header, ServerHello with version, random, session id, suite,
null compression); otherwise it answers with a handshake_failure alert. It never completes a
handshake: ward's hand-built ClientHello probes only read the ServerHello.

Usage: tls_standin_legacy_ciphers.py PORT_FILE --suites 0x0005,0x000A [--sslv3]
Binds 127.0.0.1 on a free port and writes the port number to PORT_FILE.
"""
import argparse
import os
import socket
import socketserver
import struct

ALERT_HANDSHAKE_FAILURE = bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28])
ALERT_PROTOCOL_VERSION = bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def parse_client_hello(sock):
    """Returns (client_version, [suites]) or None."""
    header = read_exactly(sock, 5)
    if header is None or header[0] != 22:
        return None
    body = read_exactly(sock, struct.unpack(">H", header[3:5])[0])
    if body is None or body[0] != 1:
        return None
    version = struct.unpack(">H", body[4:6])[0]
    at = 6 + 32
    at += 1 + body[at]  # session id
    n = struct.unpack(">H", body[at:at + 2])[0]
    suites = [struct.unpack(">H", body[at + 2 + i:at + 4 + i])[0] for i in range(0, n, 2)]
    return version, suites


def server_hello(version, suite):
    hello = struct.pack(">H", version) + os.urandom(32) + bytes([32]) + os.urandom(32)
    hello += struct.pack(">H", suite) + bytes([0])
    message = bytes([2]) + struct.pack(">I", len(hello))[1:] + hello
    return bytes([22]) + struct.pack(">H", version) + struct.pack(">H", len(message)) + message


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(5)
        try:
            parsed = parse_client_hello(self.request)
            if parsed is None:
                return
            client_version, offered = parsed
            if client_version == 0x0300 and not self.server.sslv3:
                self.request.sendall(ALERT_PROTOCOL_VERSION)
                return
            if client_version > 0x0300 and self.server.sslv3_only:
                self.request.sendall(ALERT_PROTOCOL_VERSION)
                return
            version = min(client_version, 0x0303)
            for suite in self.server.suites:  # server preference order
                if suite in offered:
                    self.request.sendall(server_hello(version, suite))
                    return
            self.request.sendall(ALERT_HANDSHAKE_FAILURE)
        except OSError:
            pass


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port_file")
    parser.add_argument("--suites", default="")
    parser.add_argument("--sslv3", action="store_true")
    parser.add_argument("--sslv3-only", action="store_true")
    args = parser.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.suites = [int(s, 16) for s in args.suites.split(",") if s]
    server.sslv3 = args.sslv3 or args.sslv3_only
    server.sslv3_only = args.sslv3_only
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
