#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/ (run once; the seeds are checked in).

Real bytes where this machine can make them: TLS first flights from Python's ssl module (OpenSSL)
over memory BIOs, envelopes from a store made by `ward init`; wire formats built from their specs
elsewhere (KEXINIT, PostgreSQL/MySQL/SMTP openings, S3 XML, audit events with a real hash chain).

Usage: make_seeds.py WARD_BIN [BUILD_DIR]   (BUILD_DIR: a WARD_FUZZ build, for encoder seeds)
"""
import hashlib
import json
import os
import ssl
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def name_list(items):
    b = ",".join(items).encode()
    return struct.pack(">I", len(b)) + b


def ssh_packet(payload):
    padding = 8 - ((len(payload) + 5) % 8)
    if padding < 4:
        padding += 8
    return struct.pack(">IB", len(payload) + padding + 1, padding) + payload + bytes(padding)


def kexinit(kex, hostkeys, ciphers, macs, follows=0):
    payload = bytes([20]) + bytes(range(16))
    for item in (kex, hostkeys, ciphers, ciphers, macs, macs, ["none", "zlib@openssh.com"], ["none"], [], []):
        payload += name_list(item)
    return payload + bytes([follows]) + struct.pack(">I", 0)


def ssh_seeds():
    modern = kexinit(["sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "kex-strict-s-v00@openssh.com"],
                     ["rsa-sha2-512", "ssh-ed25519"], ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"],
                     ["umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"])
    weak = kexinit(["diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1"], ["ssh-rsa", "ssh-dss"],
                   ["3des-cbc", "arcfour", "aes128-cbc"], ["hmac-md5", "hmac-sha1-96"], follows=1)
    put("ssh_kexinit", "openssh_like", ssh_packet(modern))
    put("ssh_kexinit", "weak", ssh_packet(weak))
    put("ssh_kexinit", "payload_only", modern)
    put("ssh_kexinit", "ident", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n" + ssh_packet(modern))
    put("ssh_kexinit", "ident_199", b"SSH-1.99-Cisco-1.25\n")


def tls_seeds(tmp):
    key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "2"],
                   check=True, capture_output=True)
    for name, version in (("tls13", ssl.TLSVersion.TLSv1_3), ("tls12", ssl.TLSVersion.TLSv1_2)):
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(cert, key)
        server_ctx.maximum_version = version
        client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client_ctx.check_hostname = False
        client_ctx.verify_mode = ssl.CERT_NONE
        cin, cout, sin, sout = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
        client = client_ctx.wrap_bio(cin, cout, server_hostname="localhost")
        server = server_ctx.wrap_bio(sin, sout, server_side=True)
        try:
            client.do_handshake()
        except ssl.SSLWantReadError:
            pass
        sin.write(cout.read())
        try:
            server.do_handshake()
        except ssl.SSLWantReadError:
            pass
        flight = sout.read()
        put("tls_hello", name + "_first_flight", flight)
        put("tls_hello", name + "_split", flight[:7])
    put("tls_hello", "alert_handshake_failure", bytes([0x15, 3, 3, 0, 2, 2, 40]))
    put("tls_hello", "sslv2_like", bytes([0x80, 0x2e, 0x01, 0x00, 0x02]))


def starttls_seeds():
    put("starttls", "pg_S", b"\x00S")
    put("starttls", "pg_N", b"\x00N")
    err = b"SFATAL\x00C0A000\x00Munsupported frontend protocol\x00\x00"
    put("starttls", "pg_E", b"\x00E" + struct.pack(">I", len(err) + 4) + err)
    # plaintext probe: AuthenticationMD5Password, then an ErrorResponse for a pg_hba rejection
    put("starttls", "pg_plain_auth", b"\x01R" + struct.pack(">II", 12, 5) + b"salt")
    hba = b"SFATAL\x00C28000\x00Mno pg_hba.conf entry for host\x00\x00"
    put("starttls", "pg_plain_hba", b"\x01E" + struct.pack(">I", len(hba) + 4) + hba)
    body = (b"\x0a" + b"10.11.6-MariaDB-0+deb12u1\x00" + struct.pack("<I", 42) + b"abcdefgh\x00"
            + struct.pack("<H", 0xf7fe) + b"\x2d" + struct.pack("<H", 2) + struct.pack("<H", 0x81bf)
            + b"\x15" + bytes(10) + b"ijklmnopqrst\x00" + b"mysql_native_password\x00")
    put("starttls", "mysql_handshake", b"\x02" + struct.pack("<I", len(body))[:3] + b"\x00" + body)
    put("starttls", "smtp", b"\x03220 mail.example ESMTP Postfix\r\n250-mail.example\r\n250-PIPELINING\r\n"
                            b"250-STARTTLS\r\n250 8BITMIME\r\n220 2.0.0 Ready to start TLS\r\n")
    put("starttls", "smtp_no_tls", b"\x03220 mx ESMTP\r\n250 mx\r\n")


def s3_seeds():
    put("s3_xml", "list", '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/'
        'doc/2006-03-01/"><Name>ward</Name><Prefix>store/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>'
        '<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM='
        '</NextContinuationToken><Contents><Key>store/config</Key><Size>312</Size><ETag>&quot;9b2cf535f27731c9'
        '74343645a3985328&quot;</ETag></Contents><Contents><Key>store/keys/unlock/a&amp;b~1</Key><Size>4</Size>'
        '</Contents></ListBucketResult>')
    put("s3_xml", "error", '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>'
        '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match'
        '</Condition><RequestId>4442587FB7D0A2F9</RequestId></Error>')
    put("s3_xml", "upload", '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE'
        '&#x20;&#65;</UploadId></InitiateMultipartUploadResult>')


def text_seeds():
    for i, t in enumerate(["14d", "1d12h", "30m", "2w", "90d", "45s", "1w2d3h4m5s", "2026-11-23T14:43:00Z",
                           "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]):
        put("duration", "seed%02d" % i, t)
    for i, u in enumerate(["s3://ward-store/prod/?endpoint=http://127.0.0.1:9000&region=us-east-1",
                           "s3://bucket?endpoint=https://s3.eu-central-1.amazonaws.com&region=eu-central-1"
                           "&addressing=virtual",
                           "sftp://backup@[::1]:2222/~/ward", "sftp://ward@127.0.0.1/srv/ward",
                           "file:///var/lib/ward", "file://relative", "gs://bucket",
                           "creds/default/AAAAAAAAAAAAAAAAAAAAAAAAAA/v000003.g2", "keys/../config", ".tmp/x"]):
        put("store_url", "seed%02d" % i, u)


def audit_seeds():
    genesis = "0" * 64

    def event(seq, prev, action):
        doc = {"schema": "ward.audit.event/v1", "seq": seq, "time": "2026-12-01T10:00:%02dZ" % seq,
               "actor": {"user": "ci", "host": "runner", "uid": 1000, "ci": {"provider": "gitlab", "job": "7"}},
               "action": action, "namespace": "default", "target": "db/prod",
               "target_id": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "outcome": "ok", "code": 0,
               "details": {"version": seq}, "prev": prev}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    lines, prev = [], genesis
    for seq, action in enumerate(["store.init", "cred.add", "cred.get", "cred.rotate", "key.rewrap"], 1):
        text = event(seq, prev, action)
        lines.append(text)
        prev = hashlib.sha256(text.encode()).hexdigest()
    put("audit", "chain", "\n".join(lines))
    put("audit", "segment", "S3\n" + "\n".join(lines))
    put("audit", "checkpoint", "\n".join(lines) + "\nward-checkpoint/v1 FUZZSTORE 5 %s c2lnbmF0dXJl" % prev)
    put("audit", "gap", lines[0] + "\n@4 " + lines[3])


def keyring_seeds():
    # object index (sorted names: config, keys/ns/…, keys/root/store, keys/unlock/…), mode, offset
    for index in range(8):
        put("keyring", "flip%d" % index, bytes([index, 2, 0, 40, 0x01]))
        put("keyring", "truncate%d" % index, bytes([index, 3, 0, 30]))
        put("keyring", "remove%d" % index, bytes([index, 4, 0, 0]))
    put("keyring", "newer_generation", bytes([7, 1, 0, 0]) + b'{"kind":"key-file"}')
    put("keyring", "config", bytes([0, 0, 0, 0]) + json.dumps(
        {"schema": "ward.config/v1", "format": 1, "store_id": "X", "created": "2026-12-01T10:00:00Z",
         "put_if_absent": "atomic", "kek_max_age": "90d",
         "kdf": {"alg": "argon2id", "memory_kib": 65536, "iterations": 3, "parallelism": 1}}, indent=2).encode())


def envelope_seeds(ward, tmp):
    store = os.path.join(tmp, "store")
    env = dict(os.environ, WARD_STORE="file://" + store, WARD_KEY_FILE=os.path.join(tmp, "key"),
               XDG_STATE_HOME=os.path.join(tmp, "state"))
    subprocess.run([ward, "init", "--key-file", env["WARD_KEY_FILE"]], env=env, check=True, capture_output=True)
    subprocess.run([ward, "cred", "add", "db", "--type", "generic", "--secret-stdin"], env=env, input=b"Seed-Secret-9#kQ2!vX7pLm4",
                   check=False, capture_output=True)
    n = 0
    for root, _, files in os.walk(store):
        for f in sorted(files):
            with open(os.path.join(root, f), "rb") as fh:
                data = fh.read()
            if data.startswith(b"WARD"):
                put("envelope", "object%02d" % n, data)
                n += 1
    put("envelope", "header_only", b"WARD\x01\x04\x02" + bytes(4 + 60))


# The redact targets' first byte: format (bits 0-1: text, csv, jsonl, json), action (bits 2-3:
# mask, hash, encrypt), rules (bit 6: columns a/b or fields $.a/$.b[*].c); the second the read
# size. Contents from tests/integration/redact_files.sh.
def redact_seeds():
    email, card, phone = "canary.person@example.org", "4111111111111111", "+4915112345678"
    log = ("2026-11-23T14:43:00Z login user=%s from 192.168.1.20\n"
           "2026-11-23T14:43:01Z charge card=%s amount=12.50 order 2026-11-23\n"
           "2026-11-23T14:43:02Z callback %s ok; not a card 4111111111111112\n") % (email, card, phone)
    key = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n"
    csv = 'id,email,note\n1,%s,"call %s, thanks"\n2,"bob@example.com",plain\n' % (email, phone)
    csv_ab = 'a,b\n%s,"x ""%s"" y"\r\n"",%s\n' % (email, card, phone)
    jsonl = '{"user":{"email":"%s","name":"C"},"n":1}\n{"user":{"email":null}}\n' % email
    json_ab = '{"a": "%s", "b": [{"c": "call \\u002b49 151 12345678 or %s"}], "z": 1.5e3}' % (email, card)
    escaped = '{"m": "mail canary.person\\u0040example.org \\ud83d\\ude00 \\"q\\" 10.0.0.1"}\n'
    for name, head, body in [("text_log", 0x00, log), ("text_key_hash", 0x04, key + log),
                             ("text_encrypt", 0x08, log), ("csv", 0x01, csv),
                             ("csv_rules", 0x41, csv_ab), ("csv_rules_hash", 0x45, csv_ab),
                             ("jsonl", 0x02, jsonl), ("jsonl_escapes", 0x0A, escaped),
                             ("json_rules", 0x43, json_ab), ("json", 0x03, json_ab),
                             ("jsonl_rules_encrypt", 0x4A, '{"a":3}\n{"a":"x","b":[{"c":"%s"}]}\n' % email)]:
        put("redact_formats", name, bytes([head, 7]) + body.encode())
    put("redact_formats", "csv_header_split", bytes([0x41, 0]) + csv_ab.encode())

    job = {"name": "nightly-exports", "expect_every": "1d",
           "detectors": [{"name": "order_id", "regex": "ORD-[0-9]{8}"}],
           "targets": [{"type": "file", "paths": ["logs/app.log"], "action": "mask"},
                       {"type": "file", "paths": ["exports/users.csv"],
                        "columns": {"email": "hash",
                                    "note": {"detectors": ["phone"], "action": "partial", "keep": 2}}},
                       {"type": "file", "paths": ["exports/events.jsonl"], "fields": {"$.user.email": "encrypt"}}]}
    put("redact_job", "nightly", json.dumps(job, indent=2))
    tables = {"name": "tables", "targets": [
        {"type": "sqlite", "database": "app.db", "table": "users", "key": "id", "batch": 2,
         "columns": {"email": "hash", "phone": {"action": "replace", "replacement": "[gone]"}},
         "rules": [{"where": {"status": {"in": ["closed", 3]}, "deleted": None, "kind": {"is_null": False}},
                    "older_than": "90d", "age_column": "closed_at"}]},
        {"type": "postgres", "credential": "pg-app", "table": "events",
         "columns": {"ip": {"detectors": ["ipv4", "ipv6"], "action": "mask"}}}]}
    put("redact_job", "tables", json.dumps(tables))
    put("redact_job", "malformed", '{"name": "x", "targets": [')
    put("redact_job", "bad_regex", '{"name": "x", "detectors": [{"name": "r", "regex": "(a"}], "targets": [{"type": "file", "paths": ["a.log"]}]}')
    put("redact_job", "password_key", '{"name": "x", "targets": [{"type": "postgres", "table": "t", "password": "hunter2-secret", "columns": {"a": "mask"}}]}')
    put("redact_job", "duration", '{"name": "x", "expect_every": "1 day", "targets": [{"type": "file", "path": "a.log", "format": "jsonl"}]}')

    put("redact_reveal", "not_a_token", "not-a-token")
    put("redact_reveal", "prefix_only", "wtk1.")
    put("redact_reveal", "short", "wtk1.AAAAAAAAAAAAAAAAAAAAAA")
    put("redact_reveal", "bad_alphabet", "wtk1.AAAA+AAA/AAAAAAAAAAAAAAAAA==")
    put("redact_reveal", "forged", "wtk1." + "A" * 40)


def main():
    ward = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        ssh_seeds()
        tls_seeds(tmp)
        starttls_seeds()
        s3_seeds()
        text_seeds()
        audit_seeds()
        keyring_seeds()
        redact_seeds()
        if os.access(ward, os.X_OK):
            envelope_seeds(ward, tmp)
    if len(sys.argv) > 2:
        d = os.path.join(CORPUS, "backup_format")
        os.makedirs(d, exist_ok=True)
        subprocess.run([os.path.join(sys.argv[2], "tests/fuzz/fuzz_backup_format"), "-runs=0", d],
                       env=dict(os.environ, WARD_FUZZ_WRITE_SEEDS=d), check=True, capture_output=True)


if __name__ == "__main__":
    main()
