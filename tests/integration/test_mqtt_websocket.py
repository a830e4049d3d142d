"""MQTT over WebSocket and WebSocket over TLS: MQTT.js (as a browser would use
it), paho over WebSocket, and a raw WebSocket client that splits one MQTT
packet across frames and packs two packets into one frame."""

import json
import os
import queue
import shutil
import subprocess
import threading

import pytest

import mqtt_support as m

JS_DIR = os.path.join(os.path.dirname(__file__), "js")
NODE = shutil.which("node")

# scripts/setup.sh installs Node.js and MQTT.js; without them these tests fail, never skip.
assert NODE and os.path.isdir(os.path.join(JS_DIR, "node_modules", "mqtt")), \
    "MQTT.js not installed: run scripts/setup.sh (npm ci in tests/integration/js)"


def needs_mqtt_js(f):
    return f


class MqttJs:
    """tests/integration/js/mqtt_client.js running one plan."""

    def __init__(self, plan):
        self.proc = subprocess.Popen([NODE, os.path.join(JS_DIR, "mqtt_client.js"), json.dumps(plan)],
                                     cwd=JS_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode().strip())
        self.lines.put(None)

    def next(self, timeout=30):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("MQTT.js said nothing in time") from None
        if line is None:
            raise AssertionError("MQTT.js exited: " + self.proc.stderr.read().decode())
        self.seen.append(line)
        if line.startswith("{"):
            obj = json.loads(line)
            assert "error" not in obj, obj["error"]
            return obj
        return line

    def wait_for(self, word):
        out = []
        while True:
            line = self.next()
            if line == word:
                return out
            out.append(line)

    def finish(self):
        code = self.proc.wait(timeout=30)
        assert code == 0, (self.seen, self.rest(), self.proc.stderr.read().decode())

    def rest(self):
        """Lines left once the process has ended."""
        out = []
        while True:
            line = self.lines.get(timeout=10)
            if line is None:
                return out
            out.append(json.loads(line) if line.startswith("{") else line)


def ws_url(t, secure=False):
    key = "mqtt.wss_port" if secure else "mqtt.ws_port"
    return f"{'wss' if secure else 'ws'}://127.0.0.1:{t.port(key)}/mqtt"


def roundtrip(t, url, options, tcp_port):
    """MQTT.js subscribes at QoS 0-2, gets one message per QoS from a TCP paho
    client, then publishes one per QoS back."""
    tcp = m.Client(tcp_port, "tcp-side")
    tcp.subscribe("from-js/#", 2)
    js = MqttJs({
        "url": url, "options": options,
        "subscribe": [["to-js/0", 0], ["to-js/1", 1], ["to-js/2", 2]],
        "expect": 3,
        "publish": [{"topic": f"from-js/{q}", "payload": f"js says {q}", "qos": q} for q in range(3)],
    })
    connected = js.next()
    assert connected == {"connected": {"sessionPresent": False}}
    js.wait_for("subscribed")
    for q in range(3):
        tcp.publish(f"to-js/{q}", f"hello {q}".encode(), qos=q)
    msgs = [line["message"] for line in js.wait_for("done")]
    assert sorted((x["topic"], x["payload"], x["qos"]) for x in msgs) == [
        (f"to-js/{q}", f"hello {q}", q) for q in range(3)]
    js.finish()
    got = sorted((g.topic, g.payload, g.qos) for g in (tcp.get() for _ in range(3)))
    assert got == [(f"from-js/{q}", f"js says {q}".encode(), q) for q in range(3)]
    tcp.disconnect()


@needs_mqtt_js
def test_mqtt_js_over_websocket(trellis):
    roundtrip(trellis, ws_url(trellis), {"protocolVersion": 4, "clientId": "js-ws"}, trellis.mqtt_port)
    trellis.wait_for_log("client connected client=js-ws remote=")


@needs_mqtt_js
def test_mqtt_js_31_over_websocket_uses_mqttv31_subprotocol(trellis):
    roundtrip(trellis, ws_url(trellis),
              {"protocolVersion": 3, "protocolId": "MQIsdp", "clientId": "js-ws31"},
              trellis.mqtt_port)


@needs_mqtt_js
def test_mqtt_js_over_wss_with_the_ca(make_trellis, tmp_path):
    certs = m.make_certs(str(tmp_path))
    t = make_trellis(settings={"mqtt.tls.cert": certs["server.pem"],
                               "mqtt.tls.key": certs["server.key"]}).start()
    roundtrip(t, ws_url(t, secure=True), {"clientId": "js-wss", "caFile": certs["ca.pem"]},
              t.mqtt_port)
    t.close()


@needs_mqtt_js
def test_mqtt_js_over_wss_without_verification(make_trellis, tmp_path):
    certs = m.make_certs(str(tmp_path))
    t = make_trellis(settings={"mqtt.tls.cert": certs["server.pem"],
                               "mqtt.tls.key": certs["server.key"]}).start()
    roundtrip(t, ws_url(t, secure=True), {"clientId": "js-wss2", "rejectUnauthorized": False},
              t.mqtt_port)
    t.close()


@needs_mqtt_js
def test_mqtt_js_retained_and_persistent_session(trellis):
    pub = m.Client(trellis.mqtt_port, "tcp-pub")
    pub.publish("jsret/a", b"retained for js", qos=1, retain=True)
    # The QoS 1 publish at the end is a round trip that carries MQTT.js's
    # PUBACK for the retained message to the broker before the DISCONNECT.
    js = MqttJs({"url": ws_url(trellis), "options": {"clientId": "js-persist", "clean": False},
                 "subscribe": [["jsret/#", 1]], "expect": 1,
                 "publish": [{"topic": "elsewhere", "payload": "x", "qos": 1}]})
    js.next()
    msgs = [line["message"] for line in js.wait_for("done") if isinstance(line, dict)]
    assert msgs == [{"topic": "jsret/a", "payload": "retained for js", "qos": 1, "retain": True}]
    js.finish()
    trellis.wait_for_log("client disconnected client=js-persist ")
    pub.publish("jsret/b", b"while away", qos=1)
    js = MqttJs({"url": ws_url(trellis), "options": {"clientId": "js-persist", "clean": False},
                 "expect": 1})
    # MQTT.js may hand over the queued message before its 'connect' event.
    lines = js.wait_for("done")
    js.finish()
    lines = [line for line in lines + js.rest() if isinstance(line, dict)]
    assert {"connected": {"sessionPresent": True}} in lines
    msgs = [line["message"] for line in lines if "message" in line]
    assert [(x["topic"], x["payload"], x["retain"]) for x in msgs] == [
        ("jsret/b", "while away", False)]
    pub.disconnect()


def test_paho_over_websocket(trellis):
    ws = m.Client(trellis.port("mqtt.ws_port"), "paho-ws", transport="websockets")
    tcp = m.Client(trellis.mqtt_port, "paho-tcp")
    ws.subscribe("pws/in", 2)
    tcp.subscribe("pws/out", 2)
    big = os.urandom(200_000)
    tcp.publish("pws/in", big, qos=1)
    ws.publish("pws/out", b"from ws", qos=2)
    assert ws.get().payload == big
    assert tcp.get().payload == b"from ws"
    ws.disconnect()
    tcp.disconnect()


def raw_ws(t):
    sock = m.WsSocket(t.port("mqtt.ws_port"))
    assert sock.status == 101, sock.response
    assert "sec-websocket-protocol: mqtt" in sock.response.lower()
    return m.RawClient(sock=sock)


def test_one_packet_split_across_frames(trellis):
    sub = m.Client(trellis.mqtt_port, "tcp-sub")
    sub.subscribe("frames/#", 1)
    client = raw_ws(trellis)
    data = m.connect("ws-split")
    client.sock.send_frames([data[:1], data[1:5], data[5:]])
    assert client.expect(m.CONNACK).body == b"\x00\x00"
    pub = m.publish("frames/split", b"in three frames", qos=1, packet_id=3)
    client.sock.send_frames([pub[:2], pub[2:9], pub[9:]])
    assert client.expect(m.PUBACK).packet_id == 3
    assert sub.get().payload == b"in three frames"
    # One packet split across two WebSocket messages works the same.
    client.sock.send_frames([pub[:6]])
    client.sock.send_frames([pub[6:]])
    assert client.expect(m.PUBACK).packet_id == 3
    assert sub.get().payload == b"in three frames"
    sub.disconnect()


def test_two_packets_in_one_frame(trellis):
    sub = m.Client(trellis.mqtt_port, "tcp-sub")
    sub.subscribe("frames/#", 1)
    client = raw_ws(trellis)
    client.sock.sendall(m.connect("ws-merge") + m.publish("frames/one", b"1", qos=1, packet_id=1) +
                        m.publish("frames/two", b"2", qos=1, packet_id=2) + m.PINGREQ_BYTES)
    assert client.expect(m.CONNACK).body == b"\x00\x00"
    assert client.expect(m.PUBACK).packet_id == 1
    assert client.expect(m.PUBACK).packet_id == 2
    client.expect(m.PINGRESP)
    assert [sub.get().payload for _ in range(2)] == [b"1", b"2"]
    # And a frame that ends in the middle of a packet, finished by the next.
    a = m.publish("frames/three", b"3", qos=1, packet_id=3)
    b = m.publish("frames/four", b"4", qos=1, packet_id=4)
    client.sock.sendall(a + b[:4])
    client.sock.sendall(b[4:])
    assert client.expect(m.PUBACK).packet_id == 3
    assert client.expect(m.PUBACK).packet_id == 4
    assert [sub.get().payload for _ in range(2)] == [b"3", b"4"]
    sub.disconnect()


def test_frame_larger_than_max_packet_size_holding_small_packets(make_trellis):
    # The limit is per MQTT packet, not per WebSocket message.
    t = make_trellis(settings={"mqtt.max_packet_size": 1024}).start()
    sub = m.Client(t.mqtt_port, "tcp-sub")
    sub.subscribe("frames/#", 1)
    client = raw_ws(t)
    client.connect("ws-many")
    client.sock.sendall(b"".join(
        m.publish(f"frames/{i}", b"p" * 900, qos=1, packet_id=i + 1) for i in range(4)))
    assert [client.expect(m.PUBACK).packet_id for _ in range(4)] == [1, 2, 3, 4]
    assert [sub.get().topic for _ in range(4)] == [f"frames/{i}" for i in range(4)]
    # One packet over the limit still closes the connection.
    client.sock.sendall(m.publish("frames/big", b"p" * 1100))
    assert client.wait_closed()
    sub.disconnect()
    t.close()


def test_websocket_malformed_mqtt_closes_only_that_client(trellis):
    sub = m.Client(trellis.mqtt_port, "tcp-sub")
    sub.subscribe("frames/#", 1)
    client = raw_ws(trellis)
    client.connect("ws-bad")
    client.sock.sendall(m.publish("frames/+", b"wildcard"))
    assert client.wait_closed()
    other = raw_ws(trellis)
    other.connect("ws-good")
    other.send(m.publish("frames/fine", b"ok", qos=1, packet_id=1))
    assert other.expect(m.PUBACK).packet_id == 1
    assert sub.get().payload == b"ok"
    sub.disconnect()


def test_disconnect_ends_with_a_websocket_close_frame(trellis):
    # Browsers report a close without a close frame as an error (code 1006).
    client = raw_ws(trellis)
    client.connect("ws-polite")
    client.send(m.DISCONNECT_BYTES)
    assert client.wait_closed()
    assert client.sock.close_code == 1000


def test_takeover_ends_with_a_websocket_close_frame(trellis):
    first = raw_ws(trellis)
    first.connect("ws-taken")
    second = m.RawClient(trellis.mqtt_port)
    second.connect("ws-taken")
    assert first.wait_closed()
    assert first.sock.close_code == 1000
    second.ping()


def test_websocket_without_subprotocol_is_accepted(trellis):
    sock = m.WsSocket(trellis.port("mqtt.ws_port"), protocol=None)
    assert sock.status == 101
    client = m.RawClient(sock=sock)
    client.connect("ws-noproto")
    client.ping()


def test_websocket_mqttv31_subprotocol_is_chosen(trellis):
    sock = m.WsSocket(trellis.port("mqtt.ws_port"), protocol="foo, mqttv3.1")
    assert sock.status == 101
    assert "sec-websocket-protocol: mqttv3.1" in sock.response.lower()


def test_websocket_unknown_subprotocol_or_path_is_refused(trellis):
    assert m.WsSocket(trellis.port("mqtt.ws_port"), protocol="stomp").status == 400
    assert m.WsSocket(trellis.port("mqtt.ws_port"), path="/other").status == 404
