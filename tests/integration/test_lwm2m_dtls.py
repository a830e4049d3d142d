"""LwM2M over DTLS with pre-shared keys: coap-client-openssl (libcoap3-bin)
registers with the right key and fails with a wrong one, the cipher suite
LwM2M requires (TLS_PSK_WITH_AES_128_CCM_8) is offered, and a client whose
address changes keeps its registration because it is matched by its PSK
identity."""

import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from lwm2m_client import CHANGED, Lwm2mClient
from trellis_process import Trellis

COAP_CLIENT = shutil.which("coap-client-openssl")
OPENSSL = shutil.which("openssl")

KEY = b"dtls-secret-key-1"
IDENTITY = "psk-id-%d" % os.getpid()
OTHER_KEY = b"another-secret"
OTHER_IDENTITY = "psk-other-%d" % os.getpid()

assert COAP_CLIENT, "coap-client-openssl missing: scripts/setup.sh installs libcoap3-bin"
assert OPENSSL, "openssl missing: scripts/setup.sh installs it"


def provision(t, device, endpoint, identity, key):
    """Stores a device's PSK through the REST API, as a user would."""
    body = json.dumps({"id": device, "credentials": {"lwm2m": {
        "endpoint": endpoint, "psk_identity": identity, "psk_key": key.hex()}}}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/devices" % t.http_port, data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 201, r.status


@pytest.fixture(scope="module")
def server():
    t = Trellis(settings={"lwm2m.lifetime_min": 1})
    t.start()
    provision(t, "dtls-dev", "dtls-ep", IDENTITY, KEY)
    provision(t, "other-dev", "other-ep", OTHER_IDENTITY, OTHER_KEY)
    yield t
    code = t.stop()
    if t.owned_dir:
        t.owned_dir.cleanup()
    assert code == 0


def coap_client(server, identity, key, method, path, payload=None, wait=10):
    """wait: how long coap-client waits for an answer; a slow (sanitized,
    loaded) server may need seconds for the handshake, and a test that
    expects no answer at all passes less."""
    url = "coaps://127.0.0.1:%d%s" % (server.port("lwm2m.dtls_port"), path)
    cmd = [COAP_CLIENT, "-m", method, "-u", identity, "-k", key.decode(), "-B", str(wait), "-v", "7"]
    if payload is not None:
        cmd += ["-t", "40", "-e", payload]
    cmd.append(url)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=wait + 20)
    return r.stdout + r.stderr


def response_code(output):
    m = re.search(r"t:ACK c:(\d\.\d\d)", output)
    return m.group(1) if m else None


def location(output):
    return "/" + "/".join(re.findall(r"Location-Path:([^,\] ]+)", output))


def test_registration_with_the_right_key(server):
    start = len(server.lines)
    out = coap_client(server, IDENTITY, KEY, "post", "/rd?ep=dtls-ep&lt=60&lwm2m=1.1&b=U", "</3/0>")
    assert response_code(out) == "2.01", out
    assert location(out).startswith("/rd/")
    i = server.wait_for_log("registered ep=dtls-ep", start=start)
    assert "transport=dtls" in server.lines[i]


def test_wrong_key_fails_the_handshake_and_is_counted(server):
    start = len(server.lines)
    out = coap_client(server, IDENTITY, b"not-the-key", "post", "/rd?ep=dtls-wrong&lt=60", "</3/0>",
                      wait=3)
    assert response_code(out) is None, out
    assert not any("ep=dtls-wrong" in l for l in server.lines[start:])
    # The server only learns once OpenSSL gives the handshake up (records it
    # cannot decrypt are dropped silently, RFC 6347 4.1.2.7): at its fifth
    # retransmission timeout, the timer doubling from 1 s (31 s). The client
    # resends its flight at 1 s and 3 s, the same moments the server's timer
    # runs out; a resent flight that arrives first answers that timeout
    # instead of it counting, so one such tie gives 63 s and two give 123 s
    # (OpenSSL's timer stops doubling at 60 s). Traced in 14 runs: 31 s in
    # five, 63 s in five, 123 s in four.
    server.wait_for_log("DTLS handshake failed", timeout=150, start=start)


def test_unknown_identity_fails_at_once(server):
    start = len(server.lines)
    out = coap_client(server, "nobody-knows-me", KEY, "post", "/rd?ep=dtls-nobody&lt=60", "</3/0>",
                      wait=3)
    assert response_code(out) is None, out
    server.wait_for_log("DTLS PSK identity unknown identity=nobody-knows-me", start=start)
    server.wait_for_log("DTLS handshake failed", start=start)


def test_psk_aes_128_ccm_8_is_offered(server):
    r = subprocess.run([OPENSSL, "s_client", "-dtls1_2", "-connect",
                        "127.0.0.1:%d" % server.port("lwm2m.dtls_port"),
                        "-psk_identity", IDENTITY, "-psk", KEY.hex(), "-cipher", "PSK-AES128-CCM8"],
                       input="", capture_output=True, text=True, timeout=20)
    assert "Cipher is PSK-AES128-CCM8" in r.stdout, r.stdout + r.stderr


def test_new_address_same_identity_keeps_the_registration(server):
    out = coap_client(server, IDENTITY, KEY, "post", "/rd?ep=dtls-move&lt=60&b=U", "</3/0>")
    assert response_code(out) == "2.01", out
    loc = location(out)
    # A second coap-client process: new source port, new handshake, same identity.
    out = coap_client(server, IDENTITY, KEY, "post", loc + "?lt=120")
    assert response_code(out) == "2.04", out
    # Another identity may not touch it, and neither may plain CoAP.
    out = coap_client(server, OTHER_IDENTITY, OTHER_KEY, "post", loc)
    assert response_code(out) == "4.03", out
    c = Lwm2mClient(server.port("lwm2m.coap_port"), "dtls-move")
    try:
        c.location = loc
        rsp = c.update()
        assert rsp.code != CHANGED and rsp.code >> 5 == 4
    finally:
        c.close()
    out = coap_client(server, IDENTITY, KEY, "delete", loc)
    assert response_code(out) == "2.02", out


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A server certificate, and a client certificate that is its own CA."""
    d = tmp_path_factory.mktemp("pki")

    def make(name, cn):
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", str(d / (name + "-key.pem")), "-out", str(d / (name + ".pem")),
                        "-days", "2", "-subj", "/CN=" + cn], check=True, capture_output=True)
        return str(d / (name + ".pem")), str(d / (name + "-key.pem"))

    return {"server": make("server", "trellis"), "client": make("client", "cert-ep")}


def test_certificate_mode_binds_the_endpoint_to_the_cn(pki):
    cert, key = pki["server"]
    ccert, ckey = pki["client"]
    t = Trellis(settings={"lwm2m.dtls.cert": cert, "lwm2m.dtls.key": key, "lwm2m.dtls.ca": ccert})
    t.start()
    try:
        def post(ep, *creds, wait=10):
            url = "coaps://127.0.0.1:%d/rd?ep=%s&lt=60" % (t.port("lwm2m.dtls_port"), ep)
            r = subprocess.run([COAP_CLIENT, "-m", "post", *creds, "-t", "40", "-e", "</3/0>", "-B",
                                str(wait), "-v", "7", url], capture_output=True, text=True,
                               timeout=wait + 20)
            return response_code(r.stdout + r.stderr)

        assert post("cert-ep", "-c", ccert, "-j", ckey) == "2.01"
        assert post("someone-else", "-c", ccert, "-j", ckey) == "4.03"
        assert post("cert-ep", wait=3) is None  # no client certificate: no handshake
        t.wait_for_log("DTLS handshake failed")
    finally:
        assert t.stop() == 0
        t.owned_dir.cleanup()
