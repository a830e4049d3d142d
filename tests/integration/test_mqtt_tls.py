"""MQTT over TLS with a certificate the test makes with openssl: mosquitto
clients with --cafile, paho over TLS, and required client certificates."""

import socket
import ssl

import pytest

import mqtt_support as m


@pytest.fixture
def certs(tmp_path):
    return m.make_certs(str(tmp_path))


def tls_settings(certs, **extra):
    s = {"mqtt.tls.cert": certs["server.pem"], "mqtt.tls.key": certs["server.key"]}
    s.update(extra)
    return s


def mosquitto(tool, t, certs, *args, client_cert=False, check=True):
    cmd = [tool, "-h", "127.0.0.1", "-p", str(t.port("mqtt.tls_port")), "--cafile", certs["ca.pem"]]
    if client_cert:
        cmd += ["--cert", certs["client.pem"], "--key", certs["client.key"]]
    return m.run(cmd + list(args), check=check)


def test_mosquitto_pub_over_tls_reaches_a_tcp_subscriber(make_trellis, certs):
    t = make_trellis(settings=tls_settings(certs)).start()
    t.wait_for_log("listening transport=tls")
    sub = m.Client(t.mqtt_port, "tcp-sub")
    sub.subscribe("tls/#", 1)
    mosquitto("mosquitto_pub", t, certs, "-t", "tls/in", "-m", "over tls", "-q", "1")
    msg = sub.get()
    assert (msg.topic, msg.payload) == ("tls/in", b"over tls")
    sub.disconnect()
    t.close()


def test_mosquitto_sub_over_tls(make_trellis, certs):
    t = make_trellis(settings=tls_settings(certs)).start()
    pub = m.Client(t.mqtt_port, "tcp-pub")
    pub.publish("tls/out", b"to tls", qos=1, retain=True)
    r = mosquitto("mosquitto_sub", t, certs, "-t", "tls/out", "-C", "1", "-W", "20")
    assert r.stdout.decode().strip() == "to tls"
    pub.disconnect()
    t.close()


def test_paho_over_tls_both_directions(make_trellis, certs):
    t = make_trellis(settings=tls_settings(certs)).start()
    port = t.port("mqtt.tls_port")
    a = m.Client(port, "tls-a", tls=m.client_tls_context(certs))
    b = m.Client(port, "tls-b", tls=m.client_tls_context(certs))
    a.subscribe("pair/a", 2)
    b.subscribe("pair/b", 2)
    payload = bytes(range(256)) * 64  # larger than one TLS record
    a.publish("pair/b", payload, qos=2)
    b.publish("pair/a", b"back", qos=1)
    assert b.get().payload == payload
    assert a.get().payload == b"back"
    a.disconnect()
    b.disconnect()
    t.close()


def test_untrusted_server_certificate_is_refused_by_the_client(make_trellis, certs, tmp_path):
    t = make_trellis(settings=tls_settings(certs)).start()
    other = m.make_certs(str(tmp_path / "other"))
    r = mosquitto("mosquitto_pub", t, other, "-t", "x", "-m", "y", check=False)
    assert r.returncode != 0
    # The broker shrugs it off.
    sub = m.Client(t.mqtt_port, "still-fine")
    sub.disconnect()
    t.close()


def test_plain_mqtt_on_the_tls_port_closes_only_that_connection(make_trellis, certs):
    t = make_trellis(settings=tls_settings(certs)).start()
    raw = m.RawClient(t.port("mqtt.tls_port"))
    raw.send(m.connect("plain"))
    assert raw.wait_closed()
    mosquitto("mosquitto_pub", t, certs, "-t", "tls/ok", "-m", "fine")
    t.close()


def test_tls_port_is_off_without_certificate(trellis):
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", trellis.port("mqtt.tls_port")), timeout=5).close()


@pytest.fixture
def mutual(make_trellis, certs):
    t = make_trellis(settings=tls_settings(
        certs, **{"mqtt.tls.ca": certs["ca.pem"], "mqtt.tls.require_client_cert": True})).start()
    yield t
    t.close()


def test_required_client_certificate_accepts_a_signed_one(mutual, certs):
    sub = m.Client(mutual.mqtt_port, "tcp-sub")
    sub.subscribe("mtls/#", 1)
    mosquitto("mosquitto_pub", mutual, certs, "-t", "mtls/in", "-m", "with cert", "-q", "1",
              client_cert=True)
    assert sub.get().payload == b"with cert"
    paho_client = m.Client(mutual.port("mqtt.tls_port"), "paho-mtls",
                           tls=m.client_tls_context(certs, with_client_cert=True))
    paho_client.publish("mtls/paho", b"paho with cert", qos=1)
    assert sub.get().payload == b"paho with cert"
    paho_client.disconnect()
    sub.disconnect()


def test_required_client_certificate_refuses_a_client_without_one(mutual, certs):
    r = mosquitto("mosquitto_pub", mutual, certs, "-t", "mtls/in", "-m", "no cert", "-q", "1",
                  check=False)
    assert r.returncode != 0
    # With TLS 1.3 the client learns of the refusal on its first read.
    ctx = m.client_tls_context(certs)
    raw_sock = socket.create_connection(("127.0.0.1", mutual.port("mqtt.tls_port")), timeout=10)
    try:
        tls = ctx.wrap_socket(raw_sock, server_hostname="127.0.0.1")
    except (ssl.SSLError, ConnectionResetError):
        return
    client = m.RawClient(sock=tls)
    try:
        client.send(m.connect("no-cert"))
    except (ssl.SSLError, OSError):
        return
    with pytest.raises(m.Closed):
        client.recv()
    mutual.wait_for_log("handshake failed")


def test_client_certificate_from_another_ca_is_refused(mutual, certs, tmp_path):
    other = m.make_certs(str(tmp_path / "other"))
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(mutual.port("mqtt.tls_port")),
           "--cafile", certs["ca.pem"], "--cert", other["client.pem"], "--key", other["client.key"],
           "-t", "x", "-m", "y"]
    assert m.run(cmd, check=False).returncode != 0
