"""Authentication and ACLs with real MQTT clients: a device is confined to
its own topics, an application gets the ACL it was given, anonymous clients
get mqtt.anonymous_acl, and registry.auto_register=false refuses data from
unknown client ids. Denied SUBSCRIBEs get 0x80; denied PUBLISHes are dropped
and counted. Negative checks are ordered: a marker published after the
denied message proves the denied one was never delivered."""

import json

from rest_support import Device, Rest, metric, poll

API = "/api/v1"


def next_message(dev, marker_topic):
    """Messages up to and including the marker; the marker is the last."""
    got = []
    while True:
        m = dev.get()
        got.append((m.topic, m.payload))
        if m.topic == marker_topic:
            return got


def test_device_is_confined_to_its_own_topics(make_trellis):
    t = make_trellis(settings={"mqtt.allow_anonymous": False}).start()
    rest = Rest(t.http_port)
    for d in ("boiler-1", "boiler-2"):
        s, b = rest.post(API + "/devices", {"id": d, "credentials": {"mqtt": {"username": d, "password": "pw-" + d}}})
        assert s == 201, b
    s, b = rest.post(API + "/applications", {"name": "dash", "username": "dash", "password": "pw-dash"})
    assert s == 201, b

    dash = Device(t.mqtt_port, "dash", "dash", "pw-dash")
    assert dash.rc == 0
    assert dash.subscribe("#", 1) == (1,)
    one = Device(t.mqtt_port, "boiler-1", "boiler-1", "pw-boiler-1")
    assert one.rc == 0
    assert one.subscribe("boiler-2/#", 1) == (128,)
    assert one.subscribe("#", 1) == (128,)
    assert one.subscribe("boiler-1/tasks/json", 1) == (1,)

    denied_before = metric(rest, "trellis_mqtt_publish_denied_total")
    one.publish("boiler-2/messages/json", json.dumps({"forged": 1}))
    one.publish("boiler-1/messages/json", json.dumps({"marker": 1}))
    assert next_message(dash, "boiler-1/messages/json") == [("boiler-1/messages/json", b'{"marker": 1}')]
    assert metric(rest, "trellis_mqtt_publish_denied_total") == denied_before + 1

    # The application may write anywhere but $SYS, so it reaches the device.
    dash.publish("boiler-1/tasks/json", b"[]")
    assert one.get().topic == "boiler-1/tasks/json"

    # No username at all is refused while anonymous access is off.
    anon = Device(t.mqtt_port, "nobody")
    assert anon.rc == 5
    for c in (dash, one, anon):
        c.close()


def test_anonymous_clients_get_the_configured_acl(make_trellis):
    acl = json.dumps({"publish": ["public/#"], "subscribe": ["public/#", "shared/+"], "deny": ["public/secret/#"]})
    t = make_trellis(settings={"mqtt.anonymous_acl": acl}).start()
    rest = Rest(t.http_port)
    s, b = rest.post(API + "/applications", {"name": "ops", "username": "ops", "password": "pw-ops"})
    assert s == 201, b
    ops = Device(t.mqtt_port, "ops", "ops", "pw-ops")
    assert ops.subscribe("#", 1) == (1,)

    anon = Device(t.mqtt_port, "anon-1")
    assert anon.rc == 0
    assert anon.subscribe("public/#", 1) == (1,)
    assert anon.subscribe("shared/a", 1) == (1,)
    assert anon.subscribe("private/#", 1) == (128,)
    assert anon.subscribe("public/secret/keys", 1) == (128,)

    anon.publish("private/x", b"no")
    anon.publish("public/secret/x", b"no")
    anon.publish("public/ok", b"yes")
    assert next_message(ops, "public/ok") == [("public/ok", b"yes")]
    # The anonymous client saw its own allowed publish, nothing denied.
    assert anon.get().topic == "public/ok"
    ops.close()
    anon.close()


def test_unknown_client_data_is_refused_without_auto_registration(make_trellis):
    t = make_trellis(settings={"registry.auto_register": False}).start()
    rest = Rest(t.http_port)
    s, b = rest.post(API + "/devices", {"id": "known-1"})
    assert s == 201, b
    refused_before = metric(rest, "trellis_telemetry_refused_total")

    ghost = Device(t.mqtt_port, "ghost-1")
    ghost.publish("ghost-1/messages/json", json.dumps({"t": 1}))
    ghost.close()
    known = Device(t.mqtt_port, "known-1")
    known.publish("known-1/messages/json", json.dumps({"t": 2}))
    known.close()

    poll(lambda: rest.get(API + "/devices/known-1/telemetry")[1]["items"])
    poll(lambda: metric(rest, "trellis_telemetry_refused_total") == refused_before + 1)
    assert rest.get(API + "/devices/ghost-1")[0] == 404
