#!/usr/bin/env python3
"""STAND-IN, not a PostgreSQL server: logs a client in over TLS, then refuses every query.

`ward check source` must report a source whose login works but whose trivial query (SELECT 1)
fails. No setting of a real PostgreSQL lets a role log in and then refuses SELECT 1 every time,
so this responder speaks just enough of the frontend/backend protocol (version 3.0) to show it:
it answers SSLRequest with 'S' and a TLS handshake (the test PKI's certificate), asks for a
cleartext password, accepts only the expected one (otherwise the error a real server sends,
SQLSTATE 28P01), reports a server version, and answers every Query with an ErrorResponse.

Usage: pg_standin_query_fails.py PORT_FILE CERT KEY PASSWORD_FILE
Binds 127.0.0.1 on a free port and writes the port number to PORT_FILE.
"""
import os
import socket
import ssl
import struct
import sys
import threading

SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104
PROTOCOL_3_0 = 196608


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def message(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack(">I", len(payload) + 4) + payload


def error_response(sqlstate: str, text: str) -> bytes:
    fields = b""
    for code, value in ((b"S", "ERROR"), (b"V", "ERROR"), (b"C", sqlstate), (b"M", text)):
        fields += code + value.encode() + b"\0"
    return message(b"E", fields + b"\0")


def parameter_status(name: str, value: str) -> bytes:
    return message(b"S", name.encode() + b"\0" + value.encode() + b"\0")


READY = message(b"Z", b"I")


def read_startup(sock):
    header = read_exactly(sock, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    body = read_exactly(sock, length - 4)
    if body is None or len(body) < 4:
        return None
    return struct.unpack(">I", body[:4])[0]


def read_message(sock):
    kind = read_exactly(sock, 1)
    if kind is None:
        return None, None
    (length,) = struct.unpack(">I", read_exactly(sock, 4))
    return kind, read_exactly(sock, length - 4)


def serve(conn, context, password):
    code = read_startup(conn)
    while code in (SSL_REQUEST_CODE, GSSENC_REQUEST_CODE):
        if code == GSSENC_REQUEST_CODE:
            conn.sendall(b"N")
        else:
            conn.sendall(b"S")
            conn = context.wrap_socket(conn, server_side=True)
        code = read_startup(conn)
    if code != PROTOCOL_3_0:
        return conn
    conn.sendall(message(b"R", struct.pack(">I", 3)))  # AuthenticationCleartextPassword
    kind, body = read_message(conn)
    if kind != b"p" or body.rstrip(b"\0") != password:
        conn.sendall(error_response("28P01", "password authentication failed for user"))
        return conn
    conn.sendall(
        message(b"R", struct.pack(">I", 0))
        + parameter_status("server_version", "15.0 (stand-in)")
        + parameter_status("server_encoding", "UTF8")
        + parameter_status("client_encoding", "UTF8")
        + parameter_status("integer_datetimes", "on")
        + parameter_status("standard_conforming_strings", "on")
        + message(b"K", struct.pack(">II", 4242, 4242))
        + READY
    )
    while True:
        kind, _ = read_message(conn)
        if kind is None or kind == b"X":
            return conn
        if kind == b"Q":
            conn.sendall(error_response("42501", "stand-in refuses every query") + READY)


def handle(conn, context, password):
    try:
        conn.settimeout(10)
        conn = serve(conn, context, password)
    except (OSError, ssl.SSLError, struct.error, TypeError):
        pass
    finally:
        conn.close()


def main() -> None:
    port_file, cert, key, password_file = sys.argv[1:5]
    with open(password_file, "rb") as source:
        password = source.read().rstrip(b"\n")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(port_file + ".tmp", "w") as out:
        out.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn, context, password), daemon=True).start()


if __name__ == "__main__":
    main()
