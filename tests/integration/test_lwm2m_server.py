"""The LwM2M server end to end: a LwM2M client written for the tests (plain
UDP, tests/integration/lwm2m_client.py) registers, is read, written,
executed, observed, discovered, created and deleted through the
EMQX-compatible JSON command topics (paho-mqtt), updates, de-registers, lets
its lifetime expire and sleeps in queue mode. Malformed CoAP, bad
link-format, unknown objects and bad command JSON get clear errors."""

import base64
import itertools
import json
import os
import socket
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from lwm2m_client import (CHANGED, CONTENT, CREATED, DELETED, GET, LINK, LWM2M_JSON, NOT_FOUND,
                          POST, SENML_CBOR, SENML_JSON, TLV, Lwm2mClient, Message, Resource,
                          code)
from trellis_process import Trellis

SETTINGS = {
    # Long enough that a stalled (sanitized, loaded) run does not turn an
    # answer into a timeout; the timeout test waits this long once.
    "lwm2m.request_timeout_s": 5,
    "lwm2m.lifetime_min": 1,
    "lwm2m.qmode_time_window": 2,
}

_ids = itertools.count(1)
_eps = itertools.count(1)


def new_ep(prefix="ep"):
    return "%s-%d-%d" % (prefix, os.getpid(), next(_eps))


class Mqtt:
    """An application on the MQTT side: publishes commands, collects what comes back."""

    def __init__(self, port):
        self.msgs = []
        self.cond = threading.Condition()
        self.client = mqtt.Client(client_id="lwm2m-app-%d-%d" % (os.getpid(), next(_ids)))
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe("lwm2m/#", qos=0)
        assert subscribed.wait(10), "no SUBACK"

    def _on_message(self, client, userdata, m):
        try:
            body = json.loads(m.payload)
        except (ValueError, RecursionError):  # not JSON, or nested past Python's limit
            body = m.payload
        with self.cond:
            self.msgs.append((m.topic, body))
            self.cond.notify_all()

    def wait(self, pred, timeout=10):
        """The first collected (topic, body) matching pred, removed from the list."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i, (t, b) in enumerate(self.msgs):
                    if pred(t, b):
                        del self.msgs[i]
                        return t, b
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("nothing matched within %ss; got %r" % (timeout, self.msgs[-10:]))
                self.cond.wait(left)

    def none(self, pred, wait=1.0):
        time.sleep(wait)
        with self.cond:
            return not any(pred(t, b) for t, b in self.msgs)

    def publish(self, topic, payload):
        data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        self.client.publish(topic, data, qos=0).wait_for_publish()

    def command(self, ep, msg_type, data, timeout=10, **extra):
        req = {"reqID": next(_ids), "msgType": msg_type, "data": data, **extra}
        self.publish("lwm2m/%s/dn/cmd" % ep, req)
        _, body = self.wait(lambda t, b: t == "lwm2m/%s/up/resp" % ep and isinstance(b, dict)
                            and b.get("reqID") == req["reqID"], timeout)
        return body

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture(scope="module")
def server():
    t = Trellis(settings=SETTINGS)
    t.start()
    yield t
    code_ = t.stop()
    if t.owned_dir:
        t.owned_dir.cleanup()
    assert code_ == 0


@pytest.fixture
def app(server):
    m = Mqtt(server.mqtt_port)
    yield m
    m.close()


@pytest.fixture
def make_client(server):
    made = []

    def make(endpoint=None, **kwargs):
        c = Lwm2mClient(server.port("lwm2m.coap_port"), endpoint or new_ep(), **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def registered(app, client, **kwargs):
    rsp = client.register(**kwargs)
    assert rsp is not None and rsp.code == CREATED, rsp
    app.wait(lambda t, b: t == "lwm2m/%s/up/resp" % client.endpoint and b.get("msgType") == "register")
    return client


# ---------------------------------------------------------------- registration

def test_register_publishes_the_emqx_event(app, make_client):
    c = make_client(version="1.0", lifetime=120)
    rsp = c.register()
    assert rsp.code == CREATED
    assert c.location.startswith("/rd/")
    _, ev = app.wait(lambda t, b: t == "lwm2m/%s/up/resp" % c.endpoint)
    assert ev["msgType"] == "register"
    data = ev["data"]
    assert data["ep"] == c.endpoint
    assert data["lt"] == 120
    assert data["lwm2m"] == "1.0"
    assert data["b"] == "U"
    assert data["alternatePath"] == "/"
    assert "/3/0" in data["objectList"] and "/3303/0" in data["objectList"]


def test_update_publishes_on_up_update_and_deregister_ends_it(app, make_client):
    c = registered(app, make_client())
    rsp = c.update(lifetime=90, with_objects=True)
    assert rsp.code == CHANGED
    _, ev = app.wait(lambda t, b: t == "lwm2m/%s/up/update" % c.endpoint)
    assert ev["msgType"] == "update"
    assert ev["data"]["lt"] == 90
    assert "/3303/0" in ev["data"]["objectList"]
    assert c.deregister().code == DELETED
    r = app.command(c.endpoint, "read", {"path": "/3/0/0"})
    assert r["data"]["code"] == "4.04"
    assert "not registered" in r["data"]["error"]
    # The old location is gone.
    assert c.update().code == NOT_FOUND


def test_lifetime_expiry_removes_the_registration(app, make_client, server):
    c = registered(app, make_client(lifetime=2))
    server.wait_for_log("registration expired ep=%s" % c.endpoint, timeout=10)
    r = app.command(c.endpoint, "read", {"path": "/3/0/0"})
    assert r["data"]["code"] == "4.04"


def test_alternate_path_prefixes_requests(app, make_client):
    c = registered(app, make_client(alternate_path="/lwm2m"))
    r = app.command(c.endpoint, "read", {"path": "/3/0/0"})
    assert r["data"]["code"] == "2.05", r
    assert c.requests[-1]["raw_path"] == "/lwm2m/3/0/0"


# ---------------------------------------------------------------- reads in every format

@pytest.mark.parametrize("version,ct,expected", [
    ("1.0", None, TLV),
    ("1.1", None, SENML_CBOR),
    ("1.1", SENML_JSON, SENML_JSON),
    ("1.1", LWM2M_JSON, LWM2M_JSON),
])
def test_read_chooses_the_format_the_client_registered(app, make_client, version, ct, expected):
    c = registered(app, make_client(version=version, root_ct=ct))
    r = app.command(c.endpoint, "read", {"path": "/3/0"}, imei="echoed")
    assert r["msgType"] == "read" and r["imei"] == "echoed"
    data = r["data"]
    assert (data["code"], data["codeMsg"], data["reqPath"]) == ("2.05", "content", "/3/0")
    values = {item["path"]: item["value"] for item in data["content"]}
    assert values["/3/0/0"] == "Trellis Test Co."
    assert values["/3/0/9"] == 95                 # Integer stays a number
    assert values["/3/0/7/1"] == 5000             # multiple resource instances keep their path
    assert values["/3/0/13"] == 1700000000        # Time as seconds
    assert c.requests[-1]["accept"] == expected


def test_read_single_float_resource_is_a_number(app, make_client):
    c = registered(app, make_client(version="1.0"))
    r = app.command(c.endpoint, "read", {"path": "/3303/0/5700"})
    assert r["data"]["content"] == [{"path": "/3303/0/5700", "value": 21.5}]


def test_read_of_a_large_object_goes_block_wise(app, make_client):
    c = make_client(version="1.1", root_ct=SENML_JSON)
    c.add_instance(3341, 0, {5527: Resource("String", "x" * 3000)})
    registered(app, c)
    r = app.command(c.endpoint, "read", {"path": "/3341/0/5527"})
    assert r["data"]["code"] == "2.05", r
    assert r["data"]["content"][0]["value"] == "x" * 3000
    blocks = [q for q in c.requests if q["path"] == "/3341/0/5527"]
    assert len(blocks) >= 3


# ---------------------------------------------------------------- writes, execute, attributes

def test_write_single_resource(app, make_client):
    c = registered(app, make_client(version="1.0"))
    r = app.command(c.endpoint, "write", {"path": "/3311/0/5851", "type": "Integer", "value": 77})
    assert (r["data"]["code"], r["data"]["codeMsg"]) == ("2.04", "changed")
    assert c.store[(3311, 0, 5851)].value == 77
    req = c.requests[-1]
    assert req["method"] == 3 and req["format"] == TLV     # PUT, TLV for LwM2M 1.0


def test_batch_write_is_a_partial_update(app, make_client):
    c = registered(app, make_client(version="1.1", root_ct=SENML_JSON))
    r = app.command(c.endpoint, "write", {"basePath": "/3311/0", "content": [
        {"path": "5850", "type": "Boolean", "value": True},
        {"path": "5750", "type": "String", "value": "porch"}]})
    assert r["data"]["code"] == "2.04", r
    assert c.store[(3311, 0, 5850)].value is True
    assert c.store[(3311, 0, 5750)].value == "porch"
    req = c.requests[-1]
    assert req["method"] == 2 and req["format"] == SENML_JSON  # POST: partial update


def test_large_opaque_write_goes_block_wise(app, make_client):
    c = make_client(version="1.1", root_ct=SENML_CBOR)
    c.add_instance(5, 0, {0: Resource("Opaque", b"")})
    registered(app, c)
    blob = bytes(range(256)) * 12
    r = app.command(c.endpoint, "write", {"path": "/5/0/0", "value": base64.b64encode(blob).decode()})
    assert r["data"]["code"] == "2.04", r
    assert c.store[(5, 0, 0)].value == blob


def test_write_attributes(app, make_client):
    c = registered(app, make_client())
    r = app.command(c.endpoint, "write-attr", {"path": "/3303/0/5700", "pmin": 5, "pmax": 60, "gt": 30.5})
    assert r["data"]["code"] == "2.04", r
    assert c.attributes["/3303/0/5700"] == {"pmin": "5", "pmax": "60", "gt": "30.5"}


def test_execute_with_arguments(app, make_client):
    c = registered(app, make_client())
    r = app.command(c.endpoint, "execute", {"path": "/3/0/4", "args": "0='now'"})
    assert r["data"]["code"] == "2.04", r
    assert c.executed == [("/3/0/4", "0='now'")]


def test_discover_returns_links(app, make_client):
    c = registered(app, make_client())
    c.attributes["/3/0"] = {"pmin": "10"}
    r = app.command(c.endpoint, "discover", {"path": "/3/0"})
    assert r["data"]["code"] == "2.05"
    assert r["data"]["content"][0] == "</3/0>;pmin=10"
    assert "</3/0/9>" in r["data"]["content"]
    assert c.requests[-1]["accept"] == LINK


def test_create_and_delete(app, make_client):
    c = registered(app, make_client(version="1.0"))
    r = app.command(c.endpoint, "create", {"basePath": "/3303", "content": [
        {"path": "1/5700", "value": 19.5}]})
    assert (r["data"]["code"], r["data"]["codeMsg"]) == ("2.01", "created"), r
    assert r["data"]["location"] == "/3303/1"
    assert c.store[(3303, 1, 5700)].value == 19.5
    r = app.command(c.endpoint, "delete", {"path": "/3303/1"})
    assert (r["data"]["code"], r["data"]["codeMsg"]) == ("2.02", "deleted")
    assert (3303, 1) not in c.instances


# ---------------------------------------------------------------- observe

def test_observe_notify_and_cancel_with_the_original_token(app, make_client):
    c = registered(app, make_client(version="1.0"))
    r = app.command(c.endpoint, "observe", {"path": "/3303/0/5700"})
    assert r["msgType"] == "observe"
    assert r["data"]["code"] == "2.05"
    assert r["data"]["content"] == [{"path": "/3303/0/5700", "value": 21.5}]
    token = c.requests[-1]["token"]
    req_id = r["reqID"]
    c.set_value("/3303/0/5700", 23.25)
    _, n = app.wait(lambda t, b: t == "lwm2m/%s/up/notify" % c.endpoint)
    assert n["msgType"] == "notify"
    assert n["reqID"] == req_id
    assert n["seqNum"] == 2
    assert n["data"]["content"] == [{"path": "/3303/0/5700", "value": 23.25}]
    r = app.command(c.endpoint, "cancel-observe", {"path": "/3303/0/5700"})
    assert r["data"]["code"] == "2.05", r
    cancel = c.requests[-1]
    assert cancel["observe"] == 1 and cancel["token"] == token
    assert not c.observers
    r = app.command(c.endpoint, "cancel-observe", {"path": "/3303/0/5700"})
    assert r["data"]["code"] == "4.04" and "no observation" in r["data"]["error"]


def test_read_and_notified_values_are_stored_as_telemetry(server, app, make_client):
    """Values from an observe answer, a notification and a read land in the
    telemetry store of the endpoint's device, keyed by path, typed by the model."""
    import urllib.request
    c = registered(app, make_client(version="1.0"))
    assert app.command(c.endpoint, "observe", {"path": "/3303/0/5700"})["data"]["code"] == "2.05"
    c.set_value("/3303/0/5700", 23.25)
    app.wait(lambda t, b: t == "lwm2m/%s/up/notify" % c.endpoint)
    assert app.command(c.endpoint, "read", {"path": "/3/0/1"})["data"]["code"] == "2.05"

    def stored():
        url = "http://127.0.0.1:%d/api/v1/devices/%s/telemetry?keys=/3303/0/5700,/3/0/1&order=asc" % (
            server.http_port, c.endpoint)
        with urllib.request.urlopen(url, timeout=5) as r:
            return [(p["key"], p["value"]) for p in json.loads(r.read())["items"]]
    deadline = time.monotonic() + 10
    while len(stored()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)                    # the writer batches; poll the REST API
    assert sorted(stored()) == [("/3/0/1", "Lightweight M2M Client"), ("/3303/0/5700", 21.5),
                                ("/3303/0/5700", 23.25)]


def test_answers_published_by_anyone_with_odd_types_are_not_telemetry(server, app):
    """The recorder reads every message on the up/resp and up/notify topics,
    which any MQTT client may publish on: members of the wrong type are
    skipped (they once stopped the server), and a time stamp out of range is
    replaced by the time of arrival."""
    import urllib.request
    ep = new_ep("forged")
    resp, notify = "lwm2m/%s/up/resp" % ep, "lwm2m/%s/up/notify" % ep
    content = [{"path": "/9/0/1", "value": 1}]
    for body in ({"msgType": 1, "data": {"code": "2.05", "content": content}},
                 {"msgType": "read", "data": {"code": 205, "content": content}},
                 {"msgType": "read", "data": {"code": ["2.05"], "content": content}},
                 {"msgType": "read", "data": "2.05"},
                 {"msgType": "read", "data": {"code": "2.05", "content": {"path": "/9/0/1"}}},
                 {"msgType": "read", "data": {"code": "2.05", "content": [
                     {"path": 9, "value": 1}, {"path": "/9/0/1", "value": {"nested": 1}}]}}):
        app.publish(resp, body)
    started_ms = time.time() * 1000
    app.publish(notify, {"msgType": "notify", "data": {"code": "2.05", "content": [
        {"path": "/9/0/2", "value": 2, "time": 1e300},
        {"path": "/9/0/3", "value": 3, "time": -5}]}})
    app.publish(resp, {"msgType": "read", "data": {"code": "2.05", "content": [
        {"path": "/9/0/4", "value": 4}]}})

    def stored():
        url = "http://127.0.0.1:%d/api/v1/devices/%s/telemetry?order=asc" % (server.http_port, ep)
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.loads(r.read())["items"]
        except urllib.error.HTTPError:
            return []                       # the device is registered with the first point
    deadline = time.monotonic() + 10
    while not any(p["key"] == "/9/0/4" for p in stored()):
        assert time.monotonic() < deadline, stored()
        time.sleep(0.05)                    # the writer batches; poll the REST API
    points = {p["key"]: p for p in stored()}
    assert sorted(points) == ["/9/0/2", "/9/0/3", "/9/0/4"], points
    for key in ("/9/0/2", "/9/0/3"):
        assert abs(points[key]["ts"] - started_ms) < 600_000, points[key]


def test_reregistration_reestablishes_observations(app, make_client):
    c = registered(app, make_client(version="1.0"))
    r = app.command(c.endpoint, "observe", {"path": "/3311/0/5851"})
    assert r["data"]["code"] == "2.05"
    first_token = c.requests[-1]["token"]
    c.observers.clear()                     # the client rebooted and forgot
    registered(app, c)
    _, again = app.wait(lambda t, b: t == "lwm2m/%s/up/resp" % c.endpoint and b.get("msgType") == "observe")
    assert again["reqID"] == r["reqID"]
    assert c.requests[-1]["observe"] == 0 and c.requests[-1]["token"] != first_token
    c.set_value("/3311/0/5851", 12)
    _, n = app.wait(lambda t, b: t == "lwm2m/%s/up/notify" % c.endpoint)
    assert n["data"]["content"] == [{"path": "/3311/0/5851", "value": 12}]


# ---------------------------------------------------------------- queue mode and timeouts

def test_queue_mode_holds_commands_until_the_next_update(app, make_client):
    c = registered(app, make_client(queue_mode=True))
    time.sleep(2.5)                         # past lwm2m.qmode_time_window
    c.asleep = True
    req = {"reqID": next(_ids), "msgType": "read", "data": {"path": "/3/0/1"}}
    app.publish("lwm2m/%s/dn/cmd" % c.endpoint, req)
    assert app.none(lambda t, b: t.endswith("/up/resp") and b.get("reqID") == req["reqID"], wait=2.5)
    assert not [q for q in c.requests if q["path"] == "/3/0/1"]
    c.asleep = False
    assert c.update().code == CHANGED
    _, r = app.wait(lambda t, b: t.endswith("/up/resp") and b.get("reqID") == req["reqID"])
    assert r["data"]["content"] == [{"path": "/3/0/1", "value": "Lightweight M2M Client"}]


def test_request_timeout_answers_coap_timeout(app, make_client):
    c = registered(app, make_client())
    c.asleep = True
    r = app.command(c.endpoint, "read", {"path": "/3/0/1"}, timeout=15)
    assert r["msgType"] == "coap_timeout"
    assert r["data"]["code"] == "5.04"
    assert r["data"]["reqPath"] == "/3/0/1"
    assert "lwm2m.request_timeout_s" in r["data"]["error"]


def test_a_lost_request_is_resent_in_time_while_another_waits():
    """RFC 7252 4.2: a request the client did not get goes again after
    ACK_TIMEOUT (2 to 3 s). Once another client's request had been resent,
    a new request's first resend waited for something else to wake the
    server, often past lwm2m.request_timeout_s."""
    t = Trellis(settings={**SETTINGS, "lwm2m.request_timeout_s": 5})
    t.start()
    app = Mqtt(t.mqtt_port)
    deaf = Lwm2mClient(t.port("lwm2m.coap_port"), new_ep())
    lossy = Lwm2mClient(t.port("lwm2m.coap_port"), new_ep())
    try:
        registered(app, deaf)
        deaf.asleep = True
        registered(app, lossy)
        seen = set()
        handle = lossy._handle

        def drop_first_copy(msg, addr):
            if msg.mid not in seen:
                seen.add(msg.mid)
                return None
            return handle(msg, addr)

        lossy._handle = drop_first_copy
        for _ in range(3):
            app.publish("lwm2m/%s/dn/cmd" % deaf.endpoint,
                        {"reqID": next(_ids), "msgType": "read", "data": {"path": "/3/0/1"}})
            time.sleep(3.2)  # past the deaf client's first resend
            r = app.command(lossy.endpoint, "read", {"path": "/3/0/1"}, timeout=15)
            assert r["data"]["code"] == "2.05", r
    finally:
        deaf.close()
        lossy.close()
        app.close()
        assert t.stop() == 0
        t.close()


def test_no_request_is_resent_after_it_was_reported_failed(app, make_client):
    # The client must not act on a command the application was told had failed.
    c = registered(app, make_client())
    c.asleep = True
    copies = []
    c._handle = lambda msg, addr: copies.append(time.monotonic())
    c.asleep = False  # every datagram reaches the counting handler, which never answers
    r = app.command(c.endpoint, "read", {"path": "/3/0/1"}, timeout=15)
    failed_at = time.monotonic()
    assert r["msgType"] == "coap_timeout"
    # libcoap would have kept resending for up to 45 s; give it past the next one.
    assert app.none(lambda t, b: False, wait=7)
    assert copies and all(t < failed_at for t in copies), (copies, failed_at)


def test_a_repeated_confirmable_request_is_answered_again_not_run_twice(app, make_client):
    """RFC 7252 4.5: a client that missed our ACK sends the same message (same
    Message ID and token) again; it gets the same answer, and the server does
    not act twice (a second registration would move the client's location)."""
    import lwm2m_client
    c = make_client(version="1.1")
    queries = ["ep=" + c.endpoint, "lt=60", "lwm2m=1.1"]
    opts = [(lwm2m_client.URI_PATH, b"rd")] + [(lwm2m_client.URI_QUERY, q.encode()) for q in queries]
    opts.append((lwm2m_client.CONTENT_FORMAT, lwm2m_client.encode_uint(LINK)))
    msg = lwm2m_client.Message(lwm2m_client.CON, lwm2m_client.POST, c.next_mid(), b"\x01\x02\x03",
                               opts, c.object_links().encode())
    first = c.send_and_wait(msg)
    again = c.send_and_wait(msg)
    assert first.code == CREATED and again.code == CREATED
    assert first.opt(lwm2m_client.LOCATION_PATH) == again.opt(lwm2m_client.LOCATION_PATH)
    c.location = "/" + "/".join(v.decode() for v in first.opt(lwm2m_client.LOCATION_PATH))
    app.wait(lambda t, b: t == "lwm2m/%s/up/resp" % c.endpoint and b.get("msgType") == "register")
    assert app.none(lambda t, b: t == "lwm2m/%s/up/resp" % c.endpoint
                    and b.get("msgType") == "register", wait=1.0)
    assert c.update().code == CHANGED  # the location the client holds is still its own
    delete = lwm2m_client.Message(lwm2m_client.CON, lwm2m_client.DELETE, c.next_mid(), b"\x09",
                                  [(lwm2m_client.URI_PATH, seg.encode())
                                   for seg in c.location.strip("/").split("/")])
    assert c.send_and_wait(delete).code == DELETED
    assert c.send_and_wait(delete).code == DELETED


def test_an_endpoint_name_that_cannot_name_a_device_is_refused_saying_why(make_client):
    # It was told auto-registration was off, which it was not.
    c = make_client(endpoint="$SYS")
    rsp = c.register()
    assert rsp.code == code(4, 3), rsp.code
    assert b"not starting with '$'" in rsp.payload, rsp.payload


def test_a_notification_that_arrives_after_a_newer_one_is_dropped(app, make_client):
    """RFC 7641 3.4: a notification delayed in the network must not overwrite
    the newer value that came before it."""
    c = registered(app, make_client())
    r = app.command(c.endpoint, "observe", {"path": "/3303/0/5700"})
    assert r["data"]["code"] == "2.05"
    path = (3303, 0, 5700)
    notified = lambda v: (lambda t, b: t.endswith("/up/notify") and
                          b["data"]["content"][0]["value"] == v)
    c.set_value("/3303/0/5700", 30.0)  # Observe 2
    app.wait(notified(30.0))
    with c.lock:
        c.observers[path][1] = 0  # the next goes out as Observe 1: older
    c.set_value("/3303/0/5700", 29.0)
    with c.lock:
        c.observers[path][1] = 10
    c.set_value("/3303/0/5700", 31.0)  # Observe 11
    app.wait(notified(31.0))
    assert app.none(notified(29.0), wait=0.5)


def test_send_reports_values_that_are_stored_as_telemetry(server, app, make_client):
    """LwM2M 1.1 Send (POST /dp, SenML): published as msgType "send" next to
    notifications and stored as the device's telemetry, as Leshan 2 takes it."""
    from rest_support import Rest, poll
    c = registered(app, make_client(version="1.1"))
    body = json.dumps([{"bn": "/3303/0/", "n": "5700", "v": 19.25}]).encode()
    assert c.request(POST, "/dp", payload=body, content_format=SENML_JSON).code == CHANGED
    _, sent = app.wait(lambda t, b: t == "lwm2m/%s/up/notify" % c.endpoint
                       and b.get("msgType") == "send")
    assert sent["data"]["content"] == [{"path": "/3303/0/5700", "value": 19.25}]
    rest = Rest(server.http_port)
    latest = lambda: {i["key"]: i["value"] for i in
                      rest.get("/api/v1/devices/%s/telemetry/latest" % c.endpoint)[1]["items"]}
    poll(lambda: latest().get("/3303/0/5700") == 19.25)
    rest.close()

    # Named by no path, plain text cannot be a Send; and only a registered client sends.
    assert c.request(POST, "/dp", payload=b"19", content_format=0).code == code(4, 15)
    assert c.request(POST, "/dp", payload=b"", content_format=SENML_JSON).code == code(4, 0)
    assert c.deregister().code == DELETED
    assert c.request(POST, "/dp", payload=body, content_format=SENML_JSON).code == NOT_FOUND

    # Another endpoint registered from the same address is the one that sends now.
    other = new_ep()
    rsp = c.request(POST, "/rd", ["ep=" + other, "lt=60", "lwm2m=1.1"],
                    c.object_links().encode(), LINK)
    assert rsp.code == CREATED
    assert c.request(POST, "/dp", payload=body, content_format=SENML_JSON).code == CHANGED
    app.wait(lambda t, b: t == "lwm2m/%s/up/notify" % other and b.get("msgType") == "send")


# ---------------------------------------------------------------- clear errors

def test_bad_command_json_is_answered(app, make_client):
    c = registered(app, make_client())
    app.publish("lwm2m/%s/dn/cmd" % c.endpoint, "{not json")
    _, r = app.wait(lambda t, b: t == "lwm2m/%s/up/resp" % c.endpoint and "reqID" not in b)
    assert r["data"]["code"] == "4.00"
    assert "not valid JSON" in r["data"]["error"]
    r = app.command(c.endpoint, "frobnicate", {"path": "/3/0"})
    assert r["data"]["code"] == "4.00" and "frobnicate" in r["data"]["error"]
    r = app.command(c.endpoint, "read", {"path": "/3/zero"})
    assert r["data"]["code"] == "4.00" and "data.path" in r["data"]["error"]
    r = app.command(c.endpoint, "write", {"path": "/3311/0/5851", "value": "many"})
    assert r["data"]["code"] == "4.00" and "/3311/0/5851" in r["data"]["error"]
    # Nested past the limit: copied into the answer it once overflowed the stack.
    for ep in (c.endpoint, new_ep("nobody")):
        app.publish("lwm2m/%s/dn/cmd" % ep, '{"msgType": "read", "data": ' + "[" * 400000 + "]" * 400000 + "}")
        _, r = app.wait(lambda t, b: t == "lwm2m/%s/up/resp" % ep and "reqID" not in b)
        assert r["data"]["code"] == "4.00" and "deeper than 32" in r["data"]["error"], r
    # A whole number past int64 for an integer resource is refused, not wrapped.
    r = app.command(c.endpoint, "write", {"path": "/3311/0/5851", "value": 1e19})
    assert r["data"]["code"] == "4.00" and "/3311/0/5851" in r["data"]["error"], r


def test_unknown_objects_are_named(app, make_client):
    c = make_client()
    c.add_instance(32769, 0, {1: Resource("Integer", 5)})
    registered(app, c)
    r = app.command(c.endpoint, "read", {"path": "/4242/0"})
    assert r["data"]["code"] == "4.04"
    assert "object 4242 is not in the client's object list" in r["data"]["error"]
    r = app.command(c.endpoint, "write", {"path": "/32769/0/1", "value": 6})
    assert r["data"]["code"] == "4.00" and "give \"type\"" in r["data"]["error"]
    r = app.command(c.endpoint, "write", {"path": "/32769/0/1", "type": "Integer", "value": 6})
    assert r["data"]["code"] == "2.04"


def test_command_for_an_unknown_endpoint(app):
    r = app.command("nobody-%d" % os.getpid(), "read", {"path": "/3/0"})
    assert r["data"]["code"] == "4.04" and "not registered" in r["data"]["error"]


@pytest.mark.parametrize("queries,payload,expected,words", [
    (["lt=60"], "</3/0>", code(4, 0), "ep"),
    (["ep=x", "lwm2m=2.0"], "</3/0>", code(4, 12), "1.0, 1.1 and 1.2"),
    (["ep=x", "lt=999999"], "</3/0>", code(4, 0), "lifetime_max"),
    (["ep=x"], "</3/0", code(4, 0), "link URI without '>'"),
    (["ep=x"], "</3/0/1>", code(4, 0), "not an object or an object instance"),
    (["ep=a/b"], "</3/0>", code(4, 0), "topic"),
])
def test_bad_registration_is_refused_with_a_diagnostic(make_client, queries, payload, expected, words):
    c = make_client()
    rsp = c.register(queries=queries, payload=payload)
    assert rsp.code == expected, rsp
    assert words in rsp.payload.decode()


def test_malformed_coap_is_survived(server, app, make_client):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    port = server.port("lwm2m.coap_port")
    for junk in (b"", b"\x00", b"\xff\xff\xff\xff", b"\x40\x02\x00\x01\xf0\x00",  # reserved option nibble
                 b"\x48\x02\x00\x01", os.urandom(64)):
        s.sendto(junk, ("127.0.0.1", port))
    s.sendto(b"\x40\x02\x12\x34\xb5rd", ("127.0.0.1", port))  # truncated option
    # Whatever libcoap answers is a reset or an acknowledgement, never a crash.
    try:
        while True:
            data, _ = s.recvfrom(2048)
            assert Message.decode(data).type in (2, 3)
    except socket.timeout:
        pass
    s.close()
    server.wait_for_log("discard malformed PDU")
    # Unknown resources get a 4.04 with a word on where to register.
    c = make_client()
    rsp = c.request(GET, "/bs")
    assert rsp.code == NOT_FOUND and b"/rd" in rsp.payload
    registered(app, c)


# ---------------------------------------------------------------- auto-observe

def test_auto_observe_listed_paths(make_trellis):
    t = make_trellis(settings={**SETTINGS, "lwm2m.auto_observe": "/3303/0/5700"})
    t.start()
    app = Mqtt(t.mqtt_port)
    c = Lwm2mClient(t.port("lwm2m.coap_port"), new_ep("auto"), version="1.0")
    try:
        assert c.register().code == CREATED
        _, r = app.wait(lambda tp, b: tp.endswith("/up/resp") and b.get("msgType") == "observe")
        assert r["data"]["content"] == [{"path": "/3303/0/5700", "value": 21.5}]
        c.set_value("/3303/0/5700", 30.0)
        _, n = app.wait(lambda tp, b: tp.endswith("/up/notify"))
        assert n["data"]["content"][0]["value"] == 30.0
    finally:
        c.close()
        app.close()


def test_auto_observe_all_observes_an_object_once_not_again_per_instance(make_trellis):
    t = make_trellis(settings={**SETTINGS, "lwm2m.auto_observe": True})
    t.start()
    app = Mqtt(t.mqtt_port)
    c = Lwm2mClient(t.port("lwm2m.coap_port"), new_ep("auto"), version="1.1")
    try:
        assert c.register(payload="</3303>;ver=1.1,</3303/0>").code == CREATED
        _, r = app.wait(lambda tp, b: tp.endswith("/up/resp") and b.get("msgType") == "observe")
        assert r["data"]["reqPath"] == "/3303"
        assert app.none(lambda tp, b: tp.endswith("/up/resp") and b.get("msgType") == "observe")
        assert [q["path"] for q in c.requests if q["observe"] == 0] == ["/3303"]
    finally:
        c.close()
        app.close()


# ---------------------------------------------------------------- REST

def test_rest_command_reaches_the_client(server, app, make_client):
    """POST /api/v1/devices/{id}/commands takes the same JSON (an auto-registered
    LwM2M device is named after its endpoint)."""
    import urllib.request
    c = registered(app, make_client(version="1.0"))
    body = json.dumps({"msgType": "read", "data": {"path": "/3303/0/5700"}}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/devices/%s/commands?timeout=5"
                                 % (server.http_port, c.endpoint), data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=15) as r:
        answer = json.loads(r.read())
    assert answer["data"]["code"] == "2.05", answer
    assert answer["data"]["content"] == [{"path": "/3303/0/5700", "value": 21.5}]


def test_rest_command_for_a_sleeping_client_is_queued(server, app, make_client):
    """A queue-mode client past its time window: 202 at once, and the command
    runs (answer on up/resp) when the client next updates."""
    import urllib.request
    c = registered(app, make_client(queue_mode=True))
    time.sleep(2.5)                         # past lwm2m.qmode_time_window
    c.asleep = True
    body = json.dumps({"msgType": "read", "data": {"path": "/3/0/1"}}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/devices/%s/commands?timeout=5"
                                 % (server.http_port, c.endpoint), data=body,
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=15) as r:
        assert r.status == 202
        queued = json.loads(r.read())
    assert queued["status"] == "queued" and queued["endpoint"] == c.endpoint
    c.asleep = False
    assert c.update().code == CHANGED
    _, r = app.wait(lambda t, b: t.endswith("/up/resp") and b.get("reqID") == queued["reqID"])
    assert r["data"]["content"] == [{"path": "/3/0/1", "value": "Lightweight M2M Client"}]


def test_rest_command_refused_by_the_server_is_an_http_error(server, app, make_client):
    """The server's own refusals (an endpoint not registered, a bad command)
    answer as REST errors naming the fault; a device's own error is its answer,
    200 with its CoAP code."""
    from rest_support import Rest
    rest = Rest(server.http_port)
    ghost = new_ep()
    s, b = rest.post("/api/v1/devices", {"id": ghost, "protocol": "lwm2m",
                                         "credentials": {"lwm2m": {"endpoint": ghost}}})
    assert s == 201, b
    read = {"msgType": "read", "data": {"path": "/3/0/0"}}
    s, b = rest.post("/api/v1/devices/%s/commands" % ghost, read)
    assert s == 404 and b["error"]["code"] == "not_found", b
    assert "'%s' is not registered" % ghost in b["error"]["message"]

    c = registered(app, make_client(version="1.0"))
    s, b = rest.post("/api/v1/devices/%s/commands" % c.endpoint,
                     {"msgType": "read", "data": {"path": "/3/zero"}})
    assert s == 400 and b["error"]["code"] == "bad_request" and "path" in b["error"]["message"], b
    s, b = rest.post("/api/v1/devices/%s/commands" % c.endpoint,
                     {"msgType": "read", "data": {"path": "/3303/7"}})
    assert s == 200 and b["data"]["code"] == "4.04", b
    s, b = rest.post("/api/v1/devices/%s/commands" % c.endpoint, read)
    assert s == 200 and b["data"]["code"] == "2.05", b
    rest.close()
