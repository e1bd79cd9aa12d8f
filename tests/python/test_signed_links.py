"""Signed links from the Python module against a real `cache-tier serve` run
with url_signing_secret_file (docs/signed-links.md)."""
import base64
import hashlib
import hmac
import os
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import cache_tier
from test_client import ServerTestCase, eventually

SECRET = b"python signs links with this secret\n"


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class SignedLinksTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        keys = tempfile.TemporaryDirectory(prefix="cache-tier-py-keys-")
        self.addCleanup(keys.cleanup)
        self.secret_file = os.path.join(keys.name, "secret")
        with open(self.secret_file, "wb") as f:
            f.write(SECRET)
        self.add_origin_file("Show/Ep 1.mp3")
        self.server = self.start_server(["--url-signing-secret-file", self.secret_file])
        self.content = b"bytes of Show/Ep 1.mp3"

    def cached_client(self, **signing):
        client = cache_tier.CacheTierClient(self.server.base_url, local_cache_time=0, **signing)
        self.assertTrue(eventually(lambda: client.verify_file("Show/Ep 1.mp3")))
        return client

    def test_the_clients_signed_link_serves_the_file(self):
        # The secret as the file holds it (str), the trailing newline dropped.
        client = self.cached_client(url_signing_secret=SECRET.decode().rstrip("\n"), url_signing_ttl=60)
        url = client.build_download_url("Show/Ep 1.mp3")
        self.assertTrue(url.startswith(self.server.base_url + "static/files_cache/Show/Ep%201.mp3?expires="), url)
        self.assertEqual(get(url), (200, self.content))
        expires = int(url.split("expires=")[1].split("&")[0])
        self.assertAlmostEqual(expires, time.time() + 60, delta=30)

    def test_unsigned_and_tampered_links_are_refused(self):
        client = self.cached_client(url_signing_secret=SECRET.rstrip(b"\n"))
        url = client.build_download_url("Show/Ep 1.mp3")
        status, body = get(url.split("?")[0])
        self.assertEqual(status, 403)
        self.assertIn(b"signed link", body)
        self.assertEqual(get(url[:-1])[0], 403)
        # The old example still gets the /download route, which redirects to a signed link.
        plain = cache_tier.CacheTierClient(self.server.base_url, local_cache_time=20)
        self.assertEqual(get(plain.build_download_url("Show/Ep 1.mp3")), (200, self.content))

    def test_a_link_signed_with_the_hmac_module_is_accepted(self):
        """docs/signed-links.md's Python snippet, outside our code."""
        self.cached_client()
        expires = int(time.time()) + 60
        path = "/static/files_cache/" + "Show/Ep 1.mp3".lower()
        mac = hmac.new(SECRET.rstrip(b"\n"), f"{path}\n{expires}".encode(), hashlib.sha256).digest()
        signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
        url = f"{self.server.base_url}static/files_cache/Show/Ep%201.mp3?expires={expires}&signature={signature}"
        self.assertEqual(get(url), (200, self.content))


class SigningArgumentsTest(unittest.TestCase):
    def test_bad_signing_arguments_raise(self):
        for kwargs in ({"url_signing_secret": "short"}, {"url_signing_secret": ""},
                       {"url_signing_secret": SECRET, "url_signing_ttl": 0},
                       {"url_signing_secret": SECRET, "static_prefix": "files"}):
            with self.assertRaises(cache_tier.CacheException, msg=kwargs):
                cache_tier.CacheTierClient("http://127.0.0.1:1/", **kwargs)


if __name__ == "__main__":
    unittest.main()
