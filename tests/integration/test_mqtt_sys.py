"""$SYS/broker/...: every topic of Mosquitto's list, republished every
mqtt.sys_interval seconds, with figures that follow the traffic; clients
cannot publish into $SYS."""

import re
import time

import pytest

import mqtt_support as m

LOADS = ["load/" + what + "/" + window
         for what in ("bytes/received", "bytes/sent", "connections", "messages/received",
                      "messages/sent", "publish/dropped", "publish/received", "publish/sent",
                      "sockets")
         for window in ("1min", "5min", "15min")]

# Mosquitto's $SYS list (mosquitto(8), "Broker status"), heap figures aside.
TOPICS = [
    "bytes/received", "bytes/sent",
    "clients/connected", "clients/disconnected", "clients/expired", "clients/maximum",
    "clients/total",
    "messages/inflight", "messages/received", "messages/sent", "messages/stored",
    "publish/bytes/received", "publish/bytes/sent",
    "publish/messages/dropped", "publish/messages/received", "publish/messages/sent",
    "retained messages/count",
    "store/messages/bytes", "store/messages/count",
    "subscriptions/count",
    "time", "timestamp", "uptime", "version",
] + LOADS


@pytest.fixture
def sys_broker(make_trellis):
    return make_trellis(settings={"mqtt.sys_interval": 1}).start()


def collect(client, until, timeout=20):
    """$SYS messages by topic (latest value) until `until(values)` holds."""
    values = {}
    deadline = time.monotonic() + timeout
    while not until(values):
        msg = client.get(timeout=max(0.1, deadline - time.monotonic()))
        values[msg.topic[len("$SYS/broker/"):]] = msg
    return values


def test_every_topic_is_published(sys_broker):
    sub = m.Client(sys_broker.mqtt_port, "sys-all")
    sub.subscribe("$SYS/#", 0)
    values = collect(sub, lambda v: all(t in v for t in TOPICS))
    text = {k: v.payload.decode() for k, v in values.items()}
    assert text["version"].startswith("trellis version ")
    assert re.fullmatch(r"\d+ seconds", text["uptime"])
    assert abs(int(text["time"]) - time.time()) < 60
    for topic in TOPICS:
        if topic.startswith("load/"):
            float(text[topic])
        elif topic not in ("version", "uptime", "timestamp"):
            int(text[topic])
    sub.disconnect()


def test_republished_every_interval(sys_broker):
    sub = m.Client(sys_broker.mqtt_port, "sys-tick")
    sub.subscribe("$SYS/broker/uptime", 0)
    # The first copy is the retained one; then one fresh copy per interval.
    first = sub.get(timeout=15)
    assert first.retain
    copies = [first]
    while len(copies) < 4:
        msg = sub.get(timeout=15)
        assert not msg.retain
        copies.append(msg)
    # Timed by the broker's own clock, not by when this client got round to
    # reading: a tick comes at least one interval (1 s) after the one before,
    # so whole seconds of uptime go up by at least 1; more than 3 would mean
    # the broker skipped ticks.
    seconds = [int(c.payload.split()[0]) for c in copies]
    steps = [b - a for a, b in zip(seconds, seconds[1:])]
    assert all(1 <= s <= 3 for s in steps), seconds
    sub.disconnect()


def test_figures_follow_the_traffic(sys_broker):
    port = sys_broker.mqtt_port
    watcher = m.Client(port, "sys-watch")
    watcher.subscribe("$SYS/broker/#", 0)
    others = [m.Client(port, f"other{i}") for i in range(3)]
    others[0].subscribe([("fig/a", 1), ("fig/b", 1)])
    others[1].publish("fig/keep", b"r", qos=1, retain=True)
    away = m.Client(port, "fig-away", clean=False)
    away.subscribe("fig/away", 1)
    away.disconnect()

    def settled(v):
        want = {"clients/connected": b"4", "clients/disconnected": b"1", "clients/total": b"5"}
        return all(k in v and v[k].payload == w for k, w in want.items()) and \
            "subscriptions/count" in v and int(v["subscriptions/count"].payload) >= 4 and \
            "retained messages/count" in v and int(v["retained messages/count"].payload) >= 1 and \
            "clients/maximum" in v and int(v["clients/maximum"].payload) >= 5
    # Each figure arrives as its own message: wait for all of one interval's.
    values = collect(watcher, settled)
    assert int(values["clients/maximum"].payload) >= 5
    # $SYS/# for the watcher, two for others[0], one for the away session.
    assert int(values["subscriptions/count"].payload) == 4
    assert int(values["bytes/received"].payload) > 0
    assert int(values["publish/messages/received"].payload) >= 1
    for c in [watcher] + others:
        c.disconnect()


def test_clients_cannot_publish_to_sys(sys_broker):
    port = sys_broker.mqtt_port
    sub = m.Client(port, "sys-sub")
    sub.subscribe([("$SYS/broker/fake", 2), ("$SYS/broker/version", 2), ("sysmark", 2)])
    version = sub.get(timeout=15)
    assert version.payload.startswith(b"trellis")
    pub = m.Client(port, "sys-pub")
    # Acknowledged (the protocol has no way to refuse a PUBLISH) but dropped.
    pub.publish("$SYS/broker/fake", b"forged", qos=1)
    pub.publish("$SYS/broker/version", b"forged version", qos=2, retain=True)
    got = m.marker(pub, sub, "sysmark")
    assert all(g.payload != b"forged" and g.payload != b"forged version" for g in got)
    late = m.Client(port, "sys-late")
    late.subscribe("$SYS/broker/version", 0)
    assert late.get(timeout=15).payload.startswith(b"trellis")
    for c in (sub, pub, late):
        c.disconnect()


def test_will_cannot_target_sys(sys_broker):
    raw = m.RawClient(sys_broker.mqtt_port)
    raw.send(m.connect("sys-will", will=("$SYS/broker/version", b"x", 0, False)))
    assert raw.expect(m.CONNACK).body[1] == 5  # not authorized
    assert raw.wait_closed()


def test_wildcard_subscription_does_not_see_sys(sys_broker):
    # [MQTT-4.7.2-1]
    sub = m.Client(sys_broker.mqtt_port, "hash")
    sub.subscribe([("#", 0), ("+/broker/uptime", 0)])
    probe = m.Client(sys_broker.mqtt_port, "probe")
    probe.subscribe("$SYS/broker/uptime", 0)
    probe.get(timeout=15)
    probe.get(timeout=15)  # a live tick has gone out since the subscription
    got = m.marker(probe, sub, "hashmark", qos=0)
    assert not any(g.topic.startswith("$") for g in got)
    sub.disconnect()
    probe.disconnect()
