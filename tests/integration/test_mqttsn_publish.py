"""MQTT-SN PUBLISH at QoS 0, 1 and 2 in both directions with their flows,
QoS -1 from clients that never connected, retained messages on subscribe, and
retransmission of unacknowledged messages by Tretry / Nretry (MQTT-SN 1.2
sections 6.8, 6.9, 6.13)."""

import json
import time

import pytest

import mqtt_support as m
import mqttsn_client as sn

PREDEFINED = {9: "sn/minus/nine"}


def settings(**extra):
    return {"mqttsn.predefined_topics": json.dumps({str(k): v for k, v in PREDEFINED.items()}),
            **extra}


@pytest.fixture
def t(make_trellis):
    # Tretry stays long here: a busy test machine must not cause retransmissions.
    return make_trellis(settings=settings()).start()


@pytest.fixture
def t_retry(make_trellis):
    return make_trellis(settings=settings(**{"mqttsn.retry_interval": 1,
                                             "mqttsn.max_retries": 2})).start()


def test_publish_qos_0_1_2_from_a_client(t):
    sub = m.Client(t.mqtt_port, "up-sub")
    sub.subscribe("sn/up/#", 2)
    c = sn.Client(sn.gateway_port(t), "sn-up")
    c.connect()
    topic_id = c.register("sn/up/data")
    # QoS 0: no answer at all.
    c.send(sn.publish(topic_id, b"q0", qos=0))
    # QoS 1: PUBACK echoing TopicId and MsgId (6.8).
    c.send(sn.publish(topic_id, b"q1", qos=1, msg_id=0x1234))
    p = c.expect(sn.PUBACK)
    assert (p.topic_id, p.msg_id, p.rc) == (topic_id, 0x1234, sn.ACCEPTED)
    # QoS 2: PUBREC, PUBREL, PUBCOMP; a repeated PUBLISH is delivered once.
    c.send(sn.publish(topic_id, b"q2", qos=2, msg_id=0x2345))
    assert c.expect(sn.PUBREC).msg_id == 0x2345
    c.send(sn.publish(topic_id, b"q2", qos=2, msg_id=0x2345, dup=True))
    assert c.expect(sn.PUBREC).msg_id == 0x2345
    c.send(sn.pubrel(0x2345))
    assert c.expect(sn.PUBCOMP).msg_id == 0x2345
    got = [sub.get() for _ in range(3)]
    assert [(g.topic, g.payload, g.qos) for g in got] == [
        ("sn/up/data", b"q0", 0), ("sn/up/data", b"q1", 1), ("sn/up/data", b"q2", 2)]
    assert m.marker(m.Client(t.mqtt_port, "up-marker"), sub, "sn/up/marker") == []  # q2 once
    sub.disconnect()



def test_burst_from_two_clients_is_delivered_in_order_and_acked_to_each(t):
    # The gateway takes the datagrams that wait on its socket together: each
    # one's sender, flow and acknowledgement must stay its own.
    sub = m.Client(t.mqtt_port, "burst-sub")
    sub.subscribe("sn/burst/#", 1)
    clients = {name: sn.Client(sn.gateway_port(t), f"sn-burst-{name}") for name in ("a", "b")}
    topic_ids = {}
    for name, c in clients.items():
        c.connect()
        topic_ids[name] = c.register(f"sn/burst/{name}")
    count = 60  # both bursts fit the gateway's default receive buffer
    for i in range(1, count + 1):
        for name, c in clients.items():
            c.send(sn.publish(topic_ids[name], f"{name}{i}".encode(), qos=1, msg_id=i))
    for name, c in clients.items():
        acks = [c.expect(sn.PUBACK) for _ in range(count)]
        assert [(p.topic_id, p.msg_id, p.rc) for p in acks] == [
            (topic_ids[name], i, sn.ACCEPTED) for i in range(1, count + 1)]
        c.assert_quiet()
    got = {"a": [], "b": []}
    for _ in range(2 * count):
        g = sub.get()
        got[g.topic.rsplit("/", 1)[1]].append(g.payload)
    for name in clients:
        assert got[name] == [f"{name}{i}".encode() for i in range(1, count + 1)]
    sub.disconnect()

def test_publish_qos_0_1_2_to_a_client(t):
    pub = m.Client(t.mqtt_port, "down-pub")
    c = sn.Client(sn.gateway_port(t), "sn-down")
    c.connect()
    ack = c.subscribe("sn/down/x", qos=2)
    assert ack.qos == 2

    pub.publish("sn/down/x", b"q0", qos=0)
    p = c.expect(sn.PUBLISH)
    assert (p.qos, p.msg_id, p.data, p.topic_id) == (0, 0, b"q0", ack.topic_id)

    pub.publish("sn/down/x", b"q1", qos=1)
    p = c.expect(sn.PUBLISH)
    assert (p.qos, p.data) == (1, b"q1") and p.msg_id != 0 and not p.dup
    c.send(sn.puback(p.topic_id, p.msg_id))

    pub.publish("sn/down/x", b"q2", qos=2)
    p = c.expect(sn.PUBLISH)
    assert (p.qos, p.data) == (2, b"q2") and p.msg_id != 0
    c.send(sn.pubrec(p.msg_id))
    assert c.expect(sn.PUBREL).msg_id == p.msg_id
    c.send(sn.pubcomp(p.msg_id))
    c.assert_quiet()
    pub.disconnect()


def test_delivery_qos_is_the_lower_of_publish_and_subscription(t):
    pub = m.Client(t.mqtt_port, "min-pub")
    c = sn.Client(sn.gateway_port(t), "sn-min")
    c.connect()
    assert c.subscribe("sn/min", qos=1).qos == 1
    pub.publish("sn/min", b"sent at 2", qos=2)
    p = c.get()
    assert (p.qos, p.data) == (1, b"sent at 2")
    pub.disconnect()


def test_outbound_messages_go_one_at_a_time_in_order(t):
    pub = m.Client(t.mqtt_port, "order-pub")
    c = sn.Client(sn.gateway_port(t), "sn-order")
    c.connect()
    c.subscribe("sn/order", qos=1)
    for i in range(5):
        pub.publish("sn/order", b"%d" % i, qos=1)
    seen = []
    for _ in range(5):
        p = c.expect(sn.PUBLISH)
        seen.append(p.data)
        # Nothing else comes while this one is unacknowledged (6.13).
        c.send(sn.puback(p.topic_id, p.msg_id))
    assert seen == [b"0", b"1", b"2", b"3", b"4"]
    pub.disconnect()


def test_qos_minus_one_from_a_client_that_never_connected(t):
    sub = m.Client(t.mqtt_port, "minus-sub")
    sub.subscribe([("sn/minus/#", 1), ("mo", 1)])
    stranger = sn.Client(sn.gateway_port(t), "never-connected")
    stranger.send(sn.publish(9, b"predefined", qos=-1, id_type=sn.PREDEFINED))
    stranger.send(sn.publish(sn.short_id("mo"), b"short", qos=-1, id_type=sn.SHORT))
    stranger.send(sn.publish(1000, b"unknown id", qos=-1, id_type=sn.PREDEFINED))  # dropped
    stranger.send(sn.publish(9, b"last", qos=-1, id_type=sn.PREDEFINED))
    got = [sub.get() for _ in range(3)]
    assert [(g.topic, g.payload, g.qos) for g in got] == [
        ("sn/minus/nine", b"predefined", 0), ("mo", b"short", 0), ("sn/minus/nine", b"last", 0)]
    # QoS -1 is never answered.
    stranger.send(sn.searchgw())
    stranger.expect(sn.GWINFO)
    sub.disconnect()


def test_retained_messages_are_sent_on_subscribe(t):
    pub = m.Client(t.mqtt_port, "ret-pub")
    pub.publish("sn/ret/b", b"kept b", qos=0, retain=True)
    # One connection's publishes are routed in order and a QoS 1 publish is
    # acknowledged once routed, so this PUBACK means both are retained before
    # the subscription; a QoS 0 publish alone may still be in flight.
    pub.publish("sn/ret/a", b"kept a", qos=1, retain=True)
    c = sn.Client(sn.gateway_port(t), "sn-ret")
    c.connect()
    ack = c.subscribe("sn/ret/+", qos=1)
    assert ack.rc == sn.ACCEPTED
    got = {}
    for _ in range(2):
        p = c.get()
        assert p.retain
        got[p.topic] = (p.data, p.qos)
    assert got == {"sn/ret/a": (b"kept a", 1), "sn/ret/b": (b"kept b", 0)}
    # Live traffic afterwards is not flagged retained.
    pub.publish("sn/ret/a", b"live", qos=1)
    p = c.get()
    assert (p.data, p.retain) == (b"live", False)
    pub.disconnect()


def test_unacknowledged_publish_is_retransmitted_with_dup(t_retry):
    t = t_retry
    pub = m.Client(t.mqtt_port, "retry-pub")
    c = sn.Client(sn.gateway_port(t), "sn-retry")
    c.connect()
    c.subscribe("sn/retry", qos=1)
    # Taken before the gateway can have sent it, so the wait is never short.
    sent_at = time.monotonic()
    pub.publish("sn/retry", b"ack me", qos=1)
    first = c.expect(sn.PUBLISH)
    assert not first.dup
    again = c.expect(sn.PUBLISH, timeout=5)  # Tretry = 1 s
    waited = time.monotonic() - sent_at
    assert 0.7 < waited < 3, waited
    assert again.dup and (again.msg_id, again.data) == (first.msg_id, b"ack me")
    c.send(sn.puback(again.topic_id, again.msg_id))
    pub.publish("sn/retry", b"next", qos=1)
    p = c.expect(sn.PUBLISH)
    assert (p.data, p.dup) == (b"next", False)
    c.send(sn.puback(p.topic_id, p.msg_id))
    t.wait_for_log("retransmission client=sn-retry")
    pub.disconnect()


def test_client_lost_after_nretry_retransmissions_and_will_published(t_retry):
    t = t_retry
    watcher = m.Client(t.mqtt_port, "nretry-watcher")
    watcher.subscribe("sn/nretry/#", 1)
    c = sn.Client(sn.gateway_port(t), "sn-nretry")
    c.connect(keepalive=60, will=("sn/nretry/will", "lost by retries", 1, False))
    c.subscribe("sn/nretry/data", qos=1)
    watcher.publish("sn/nretry/data", b"never acked", qos=1)
    assert watcher.get().topic == "sn/nretry/data"  # the watcher's own copy
    first = c.expect(sn.PUBLISH)
    retries = [c.expect(sn.PUBLISH, timeout=5) for _ in range(2)]  # Nretry = 2
    assert all(r.dup and r.msg_id == first.msg_id for r in retries)
    will = watcher.get()
    assert (will.topic, will.payload) == ("sn/nretry/will", b"lost by retries")
    t.wait_for_log("client lost client=sn-nretry")
    watcher.disconnect()
