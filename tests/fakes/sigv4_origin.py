#!/usr/bin/python3
"""A private S3-shaped bucket that checks AWS Signature V4 with an independent
implementation (botocore's S3SigV4Auth / S3SigV4QueryAuth), because s3rver
and most local S3 stand-ins accept any signature.

Path-style GET/HEAD: /<bucket>/<key> serves --root/<key>. Requests must carry
either an Authorization header (AWS4-HMAC-SHA256) or a presigned query
(X-Amz-Signature...). A wrong signature, access key or session token gets 403
with an S3-style XML error body; missing keys get 404 NoSuchKey. Conditional
GET (If-None-Match / If-Modified-Since) answers 304.

Usage: sigv4_origin.py --port N --root DIR --access-key A --secret-key S
                       [--bucket B] [--region R (us-east-1)] [--session-token T]
Every request is logged to stdout as "METHOD TARGET STATUS".
"""

import datetime
import re
import sys
import urllib.parse

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.dont_write_bytecode = True  # keep tests/fakes free of __pycache__
import fake_common  # noqa: E402

AUTH_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<credential>[^,]+),\s*"
    r"SignedHeaders=(?P<signed>[^,]+),\s*Signature=(?P<signature>[0-9a-f]+)$")
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"


class Refused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def s3_error(code, message, resource):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
            "<Resource>%s</Resource></Error>\n" % (code, message, resource)).encode()


class Handler(fake_common.LoggingHandler):
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        args = self.server.args
        target = urllib.parse.urlsplit(self.path)
        try:
            if "X-Amz-Signature" in urllib.parse.parse_qs(target.query):
                self.check_presigned(target)
            else:
                self.check_header_signature(target)
        except Refused as refused:
            self.send_simple(403, s3_error(refused.code, str(refused), target.path),
                             content_type="application/xml")
            return
        bucket, _, key = urllib.parse.unquote(target.path.lstrip("/")).partition("/")
        if not bucket or (args.bucket is not None and bucket != args.bucket):
            self.send_simple(404, s3_error("NoSuchBucket", "The specified bucket does not exist", bucket),
                             content_type="application/xml")
            return
        missing = lambda: self.send_simple(
            404, s3_error("NoSuchKey", "The specified key does not exist.", key),
            content_type="application/xml")
        self.serve_file(fake_common.resolve_under(args.root, key), missing)

    def credentials(self):
        args = self.server.args
        return Credentials(args.access_key, args.secret_key, args.session_token)

    def check_scope(self, credential, timestamp):
        """Credential is ACCESS/DATE/REGION/s3/aws4_request."""
        args = self.server.args
        parts = credential.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request":
            raise Refused("AuthorizationHeaderMalformed", "malformed credential %r" % credential)
        access_key, date, region, service = parts[:4]
        if access_key != args.access_key:
            raise Refused("InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist in our records.")
        if region != args.region or service != "s3":
            raise Refused("AuthorizationHeaderMalformed",
                          "scope %s/%s, expected %s/s3" % (region, service, args.region))
        if not timestamp.startswith(date):
            raise Refused("AuthorizationHeaderMalformed", "credential date does not match X-Amz-Date")

    def signed_request(self, target, signed_header_names, query):
        """The request as botocore sees it: the path exactly as sent, only the signed headers."""
        url = "http://%s%s" % (self.headers.get("Host", ""), target.path)
        if query:
            url += "?" + query
        headers = {}
        for name in signed_header_names:
            values = self.headers.get_all(name)
            if values is None:
                raise Refused("SignatureDoesNotMatch", "signed header %s is missing" % name)
            headers[name] = ",".join(values)
        return AWSRequest(method=self.command, url=url, headers=headers)

    def check_header_signature(self, target):
        args = self.server.args
        match = AUTH_HEADER.match(self.headers.get("Authorization", ""))
        if not match:
            raise Refused("AccessDenied", "Access Denied (no AWS4-HMAC-SHA256 Authorization header)")
        timestamp = self.headers.get("X-Amz-Date", "")
        self.check_scope(match["credential"], timestamp)
        signed_names = match["signed"].split(";")
        if "host" not in signed_names or "x-amz-date" not in signed_names:
            raise Refused("AccessDenied", "host and x-amz-date must be signed")
        if "x-amz-content-sha256" not in signed_names:
            raise Refused("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        if args.session_token is not None:
            if "x-amz-security-token" not in signed_names or \
                    self.headers.get("X-Amz-Security-Token") != args.session_token:
                raise Refused("InvalidToken", "The provided token is malformed or otherwise invalid.")
        request = self.signed_request(target, signed_names, target.query)
        request.context["timestamp"] = timestamp
        auth = S3SigV4Auth(self.credentials(), "s3", args.region)
        canonical = auth.canonical_request(request)
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if expected != match["signature"]:
            raise Refused("SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you provided.")

    def check_presigned(self, target):
        args = self.server.args
        pairs = urllib.parse.parse_qsl(target.query, keep_blank_values=True)
        params = dict(pairs)
        timestamp = params.get("X-Amz-Date", "")
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            raise Refused("AuthorizationQueryParametersError", "X-Amz-Algorithm must be AWS4-HMAC-SHA256")
        self.check_scope(params.get("X-Amz-Credential", ""), timestamp)
        try:
            signed_at = datetime.datetime.strptime(timestamp, TIMESTAMP_FORMAT)
            expires = int(params.get("X-Amz-Expires", ""))
        except ValueError:
            raise Refused("AuthorizationQueryParametersError", "bad X-Amz-Date or X-Amz-Expires")
        if datetime.datetime.utcnow() > signed_at + datetime.timedelta(seconds=expires):
            raise Refused("AccessDenied", "Request has expired")
        if args.session_token is not None and params.get("X-Amz-Security-Token") != args.session_token:
            raise Refused("InvalidToken", "The provided token is malformed or otherwise invalid.")
        # Everything but the signature is signed, as sent (raw, still encoded).
        unsigned_query = "&".join(p for p in target.query.split("&") if not p.startswith("X-Amz-Signature="))
        request = self.signed_request(target, params.get("X-Amz-SignedHeaders", "").split(";"), unsigned_query)
        request.context["timestamp"] = timestamp
        auth = S3SigV4QueryAuth(self.credentials(), "s3", args.region, expires=expires)
        canonical = auth.canonical_request(request)
        expected = auth.signature(auth.string_to_sign(request, canonical), request)
        if expected != params["X-Amz-Signature"]:
            raise Refused("SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you provided.")


def main():
    parser = fake_common.base_arguments(__doc__.splitlines()[0])
    parser.add_argument("--bucket", default=None, help="the only bucket served (default: any name)")
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--session-token", default=None)
    fake_common.run(Handler, parser.parse_args())


if __name__ == "__main__":
    main()
