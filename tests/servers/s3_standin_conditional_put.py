#!/usr/bin/env python3
"""A STAND-IN for S3 servers that honour conditional writes (AWS S3 since 2024, recent MinIO).

The only S3 server on this machine, s3rver, ignores `If-None-Match: *` and overwrites, so it
cannot show ward's atomic put-if-absent path. This stand-in implements just enough of the S3
REST API for ward's S3 backend, in memory, and answers a PUT (or CompleteMultipartUpload)
carrying `If-None-Match: *` over an existing key with 412 Precondition Failed, as AWS S3 does.
It checks the access key id in the Authorization header (not the signature: the signer is
checked against AWS's published examples by the unit tests).

Listings whose prefix starts with `ignores-start-after/` ignore the `start-after` parameter, as
some S3-compatible servers do, so the unit tests can show that ward's range listings stay
correct there too.

Usage: s3_standin_conditional_put.py PORT BUCKET ACCESS_KEY_ID
"""
import hashlib
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

PORT, BUCKET, ACCESS_KEY = int(sys.argv[1]), sys.argv[2], sys.argv[3]
objects = {}  # key -> (bytes, {metadata header: value})
uploads = {}  # upload id -> (key, metadata, {part number: bytes})
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code):
        body = f"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>"
        self.reply(status, body.encode())

    def route(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        parts = unquote(url.path).lstrip("/").split("/", 1)
        bucket, key = parts[0], parts[1] if len(parts) > 1 else ""
        auth = self.headers.get("Authorization", "")
        match = re.search(r"Credential=([^/]+)/", auth)
        if not match or match.group(1) != ACCESS_KEY:
            self.error(403, "InvalidAccessKeyId")
            return None
        if "x-amz-content-sha256" not in self.headers:
            self.error(400, "InvalidRequest")
            return None
        if bucket != BUCKET:
            self.error(404, "NoSuchBucket")
            return None
        return key, query

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_PUT(self):
        routed = self.route()
        if routed is None:
            return
        key, query = routed
        data = self.body()
        with lock:
            if "uploadId" in query:
                uploads[query["uploadId"]][2][int(query["partNumber"])] = data
                # As AWS S3 does: a part's ETag is the MD5 of its bytes.
                self.reply(200, headers={"ETag": f"\"{hashlib.md5(data).hexdigest()}\""})
                return
            if self.headers.get("If-None-Match") == "*" and key in objects:
                self.error(412, "PreconditionFailed")
                return
            meta = {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-amz-meta-")}
            objects[key] = (data, meta)
        self.reply(200, headers={"ETag": f"\"{hashlib.md5(data).hexdigest()}\""})

    def do_POST(self):
        routed = self.route()
        if routed is None:
            return
        key, query = routed
        self.body()
        with lock:
            if "uploads" in query:
                upload = uuid.uuid4().hex
                meta = {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-amz-meta-")}
                uploads[upload] = (key, meta, {})
                body = f"<InitiateMultipartUploadResult><UploadId>{upload}</UploadId></InitiateMultipartUploadResult>"
                self.reply(200, body.encode())
                return
            if "uploadId" in query:
                _, meta, parts = uploads.pop(query["uploadId"])
                if self.headers.get("If-None-Match") == "*" and key in objects:
                    self.error(412, "PreconditionFailed")
                    return
                objects[key] = (b"".join(parts[n] for n in sorted(parts)), meta)
                # AWS's multipart ETag: the MD5 of the parts' binary MD5s, then "-" and their count.
                whole = hashlib.md5(b"".join(hashlib.md5(parts[n]).digest() for n in sorted(parts)))
                etag = f"&quot;{whole.hexdigest()}-{len(parts)}&quot;"
                self.reply(200, f"<CompleteMultipartUploadResult><ETag>{etag}</ETag></CompleteMultipartUploadResult>".encode())
                return
        self.error(400, "InvalidRequest")

    def do_GET(self):
        routed = self.route()
        if routed is None:
            return
        key, query = routed
        with lock:
            if key == "" and query.get("list-type") == "2":
                prefix = query.get("prefix", "")
                limit = min(int(query.get("max-keys", "1000")), 1000)
                start_after = "" if prefix.startswith("ignores-start-after/") else query.get("start-after", "")
                after = query.get("continuation-token") or start_after
                keys = sorted(k for k in objects if k.startswith(prefix) and k > after)
                page, truncated = keys[:limit], len(keys) > limit
                body = "<ListBucketResult>" + "".join(
                    f"<Contents><Key>{escape(k)}</Key><Size>{len(objects[k][0])}</Size></Contents>" for k in page)
                body += f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
                if truncated:
                    body += f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>"
                self.reply(200, (body + "</ListBucketResult>").encode())
                return
            if key not in objects:
                self.error(404, "NoSuchKey")
                return
            data, meta = objects[key]
        self.reply(200, data, meta)

    def do_HEAD(self):
        routed = self.route()
        if routed is None:
            return
        key, _ = routed
        with lock:
            found = objects.get(key)
        if found is None:
            self.reply(404)
        else:
            self.send_response(200)
            for name, value in found[1].items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(found[0])))
            self.end_headers()

    def do_DELETE(self):
        routed = self.route()
        if routed is None:
            return
        key, query = routed
        with lock:
            if "uploadId" in query:
                uploads.pop(query["uploadId"], None)
            else:
                objects.pop(key, None)
        self.reply(204)


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
