#!/usr/bin/env python3
"""Stand-in SSH server: sends an identification line and one KEXINIT, then waits.

Not an SSH server. It exists because no server on this machine can show the behaviours the
SSH checks must find: Debian 12's OpenSSH always offers strict key exchange (the Terrapin fix)
and cannot offer today's post-quantum names (mlkem768x25519-sha256), so a KEXINIT without
kex-strict-s-v00@openssh.com, or with names newer than the local OpenSSH, is replayed from here.

The same goes for what OpenSSH dropped long ago and so cannot offer at all: the "none" cipher
and MAC, zlib compression before authentication, protocol 1.99.

Usage: ssh_standin_kexinit.py PORTFILE KEX HOSTKEYS CIPHERS MACS [COMPRESSION [IDENT]]
Each list is comma-separated; COMPRESSION defaults to "none", IDENT (the identification line
without CR LF) to an SSH-2.0 stand-in. Binds 127.0.0.1 on a free port and writes the port to PORTFILE.
"""
import socket
import struct
import sys


def name_list(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">I", len(data)) + data


def kexinit(kex: str, hostkeys: str, ciphers: str, macs: str, compression: str) -> bytes:
    payload = bytes([20]) + bytes(16)
    for item in (kex, hostkeys, ciphers, ciphers, macs, macs, compression, compression, "", ""):
        payload += name_list(item)
    payload += bytes([0]) + struct.pack(">I", 0)
    padding = 8 - ((len(payload) + 5) % 8)
    if padding < 4:
        padding += 8
    return struct.pack(">IB", len(payload) + padding + 1, padding) + payload + bytes(padding)


def main() -> None:
    portfile, kex, hostkeys, ciphers, macs = sys.argv[1:6]
    compression = sys.argv[6] if len(sys.argv) > 6 else "none"
    ident = sys.argv[7] if len(sys.argv) > 7 else "SSH-2.0-StandIn_1.0 replayed KEXINIT"
    packet = kexinit(kex, hostkeys, ciphers, macs, compression)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(portfile + ".tmp", "w") as out:
        out.write(str(listener.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = listener.accept()
        try:
            conn.sendall(ident.encode() + b"\r\n" + packet)
            conn.settimeout(2)
            while conn.recv(4096):
                pass
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
