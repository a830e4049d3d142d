"""Connected MQTT-SN clients in GET /api/v1/clients (protocol "mqttsn",
transport "udp"), DELETE /api/v1/clients/{id} ending one as if it had vanished,
presence events, and a registered device admitted when
mqttsn.require_registered is on."""

import json
import urllib.error
import urllib.request

import pytest

import mqtt_support as m
import mqttsn_client as sn


def api(t, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{t.http_port}/api/v1{path}", data=data,
                                 method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=sn.WAIT) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def require_rest(t):
    status, body = api(t, "GET", "/health")
    assert status == 200, body


def client_list(body):
    if isinstance(body, dict):
        for key in ("items", "clients", "data"):
            if isinstance(body.get(key), list):
                return body[key]
    assert isinstance(body, list), body
    return body


def find_client(t, client_id):
    status, body = api(t, "GET", "/clients")
    assert status == 200, body
    return next((c for c in client_list(body) if c.get("client_id") == client_id), None)


def test_mqttsn_clients_are_listed_and_can_be_disconnected(trellis):
    require_rest(trellis)
    watcher = m.Client(trellis.mqtt_port, "api-watcher")
    watcher.subscribe("sn/api/#", 1)
    c = sn.Client(sn.gateway_port(trellis), "sn-api")
    c.connect(keepalive=45, will=("sn/api/will", "kicked", 1, False))
    c.subscribe("sn/api/x", qos=1)
    listed = find_client(trellis, "sn-api")
    assert listed is not None
    assert listed["protocol"] == "mqttsn"
    assert listed["transport"] == "udp"
    assert listed["remote"] == "127.0.0.1:%d" % c.address[1]
    assert listed["keepalive"] == 45
    assert listed["subscriptions"] == 1
    assert listed["state"] == "active"

    c.disconnect(60)
    trellis.wait_for_log("client asleep client=sn-api")
    assert find_client(trellis, "sn-api")["state"] == "asleep"
    c.send(sn.pingreq("sn-api"))
    c.expect(sn.PINGRESP)

    status, _ = api(trellis, "DELETE", "/clients/sn-api")
    assert status in (200, 202, 204)
    c.expect(sn.DISCONNECT)  # told, then treated as vanished: its will goes out
    will = watcher.get()
    assert (will.topic, will.payload) == ("sn/api/will", b"kicked")
    assert find_client(trellis, "sn-api") is None
    status, _ = api(trellis, "DELETE", "/clients/sn-api")
    assert status == 404
    watcher.disconnect()


def test_presence_events_follow_mqttsn_clients(trellis):
    require_rest(trellis)
    events = m.Client(trellis.mqtt_port, "presence-watcher")
    events.subscribe("$events/devices/sn-presence/#", 1)
    c = sn.Client(sn.gateway_port(trellis), "sn-presence")
    c.connect()
    online = events.get()
    assert online.topic == "$events/devices/sn-presence/online"
    assert json.loads(online.payload)["protocol"] == "mqttsn"
    c.disconnect()
    msgs = events.get_until("$events/devices/sn-presence/offline")
    assert json.loads(msgs[-1].payload)["device"] == "sn-presence"
    events.disconnect()


@pytest.mark.parametrize("auto_register", [False, True])
def test_registered_device_is_admitted_when_registration_is_required(make_trellis, auto_register):
    # Auto-registration does not open the door: required means registered beforehand.
    t = make_trellis(settings={"mqttsn.require_registered": True,
                               "registry.auto_register": auto_register}).start()
    require_rest(t)
    status, body = api(t, "POST", "/devices", {"id": "sn-known", "name": "MQTT-SN sensor"})
    assert status == 201, body
    known = sn.Client(sn.gateway_port(t), "sn-known")
    assert known.connect().rc == sn.ACCEPTED
    stranger = sn.Client(sn.gateway_port(t), "sn-unknown")
    stranger.send(sn.connect("sn-unknown"))
    assert stranger.expect(sn.CONNACK).rc == sn.NOT_SUPPORTED
