"""MQTT-SN topic ids: REGISTER / REGACK in both directions, short topic names,
predefined topic ids, SUBSCRIBE / UNSUBSCRIBE by each kind, and the return
codes for an unknown topic id (0x02) and congestion (0x01) (MQTT-SN 1.2
sections 3.3, 5.3.10, 6.5 to 6.10)."""

import json

import pytest

import mqtt_support as m
import mqttsn_client as sn

PREDEFINED = {5: "sn/pre/five", 6: "sn/pre/six"}


@pytest.fixture
def t(make_trellis):
    return make_trellis(settings={
        "mqttsn.predefined_topics": json.dumps({str(k): v for k, v in PREDEFINED.items()}),
        "mqttsn.max_buffered_messages": 2,
    }).start()


def test_client_registers_a_topic_and_publishes_by_its_id(t):
    sub = m.Client(t.mqtt_port, "reg-sub")
    sub.subscribe("sn/reg/#", 1)
    c = sn.Client(sn.gateway_port(t), "sn-reg")
    c.connect()
    topic_id = c.register("sn/reg/temp")
    assert topic_id not in (0x0000, 0xFFFF)
    assert c.register("sn/reg/temp") == topic_id  # same name, same id
    c.publish(topic_id, b"21.5", qos=1)
    msg = sub.get()
    assert (msg.topic, msg.payload) == ("sn/reg/temp", b"21.5")
    sub.disconnect()


def test_register_of_a_wildcard_is_refused(t):
    c = sn.Client(sn.gateway_port(t), "sn-regwild")
    c.connect()
    c.send(sn.register(3, "sn/reg/+"))
    p = c.expect(sn.REGACK)
    assert (p.msg_id, p.rc) == (3, sn.NOT_SUPPORTED)


def test_gateway_registers_a_topic_before_publishing_it_on_a_wildcard(t):
    pub = m.Client(t.mqtt_port, "wild-pub")
    c = sn.Client(sn.gateway_port(t), "sn-wild")
    c.connect()
    ack = c.subscribe("sn/wild/#", qos=0)
    assert ack.topic_id == 0  # not relevant for a wildcard (5.4.16)
    pub.publish("sn/wild/kitchen", b"k1", qos=1)
    reg = c.expect(sn.REGISTER)
    assert reg.topic_name == "sn/wild/kitchen"
    assert reg.topic_id != 0 and reg.msg_id != 0
    c.send(sn.regack(reg.topic_id, reg.msg_id))
    p = c.expect(sn.PUBLISH)
    assert (p.id_type, p.topic_id, p.data) == (sn.NORMAL, reg.topic_id, b"k1")
    # Registered now: the next message on that topic comes straight away.
    pub.publish("sn/wild/kitchen", b"k2", qos=1)
    p = c.expect(sn.PUBLISH)
    assert (p.topic_id, p.data) == (reg.topic_id, b"k2")
    # Another topic under the wildcard is registered in turn.
    pub.publish("sn/wild/garage", b"g1", qos=1)
    reg2 = c.expect(sn.REGISTER)
    assert reg2.topic_name == "sn/wild/garage" and reg2.topic_id != reg.topic_id
    pub.disconnect()


def test_subscribe_by_name_gives_the_id_deliveries_use(t):
    pub = m.Client(t.mqtt_port, "name-pub")
    c = sn.Client(sn.gateway_port(t), "sn-name")
    c.connect()
    ack = c.subscribe("sn/name/exact", qos=1)
    assert ack.rc == sn.ACCEPTED and ack.topic_id != 0
    pub.publish("sn/name/exact", b"x", qos=1)
    p = c.expect(sn.PUBLISH)  # no REGISTER: SUBACK told the id
    assert (p.id_type, p.topic_id, p.data) == (sn.NORMAL, ack.topic_id, b"x")
    c.send(sn.puback(p.topic_id, p.msg_id))
    pub.disconnect()


def test_short_topic_names_both_ways(t):
    paho = m.Client(t.mqtt_port, "short-paho")
    paho.subscribe("ab", 1)
    c = sn.Client(sn.gateway_port(t), "sn-short")
    c.connect()
    c.publish(sn.short_id("ab"), b"short up", qos=1, id_type=sn.SHORT)
    msg = paho.get()
    assert (msg.topic, msg.payload) == ("ab", b"short up")

    ack = c.subscribe("cd", qos=1, id_type=sn.SHORT)
    assert ack.rc == sn.ACCEPTED
    paho.publish("cd", b"short down", qos=1)
    p = c.expect(sn.PUBLISH)
    assert (p.id_type, p.topic_id, p.data) == (sn.SHORT, sn.short_id("cd"), b"short down")
    c.send(sn.puback(p.topic_id, p.msg_id))
    paho.disconnect()


def test_predefined_topic_ids_both_ways(t):
    paho = m.Client(t.mqtt_port, "pre-paho")
    paho.subscribe("sn/pre/#", 1)
    c = sn.Client(sn.gateway_port(t), "sn-pre")
    c.connect()
    c.publish(5, b"predefined up", qos=1, id_type=sn.PREDEFINED)
    msg = paho.get()
    assert (msg.topic, msg.payload) == ("sn/pre/five", b"predefined up")

    ack = c.subscribe(6, qos=1, id_type=sn.PREDEFINED)
    assert (ack.rc, ack.topic_id) == (sn.ACCEPTED, 6)
    paho.publish("sn/pre/six", b"predefined down", qos=1)
    p = c.expect(sn.PUBLISH)
    assert (p.id_type, p.topic_id, p.data) == (sn.PREDEFINED, 6, b"predefined down")
    c.send(sn.puback(p.topic_id, p.msg_id))
    paho.disconnect()


def test_unknown_topic_ids_are_answered_invalid_topic_id(t):
    c = sn.Client(sn.gateway_port(t), "sn-invalid")
    c.connect()
    for qos in (0, 1, 2):
        msg_id = c.next_msg_id() if qos else 0
        c.send(sn.publish(999, b"x", qos=qos, msg_id=msg_id))
        p = c.expect(sn.PUBACK)
        assert (p.topic_id, p.msg_id, p.rc) == (999, msg_id, sn.INVALID_TOPIC_ID), qos
    c.send(sn.publish(77, b"x", qos=1, msg_id=40, id_type=sn.PREDEFINED))
    p = c.expect(sn.PUBACK)
    assert (p.topic_id, p.msg_id, p.rc) == (77, 40, sn.INVALID_TOPIC_ID)
    ack = c.subscribe(77, id_type=sn.PREDEFINED, expect_rc=sn.INVALID_TOPIC_ID)
    assert ack.rc == sn.INVALID_TOPIC_ID


def test_congestion_when_too_many_qos2_messages_await_pubrel(t):
    sub = m.Client(t.mqtt_port, "cong-sub")
    sub.subscribe("sn/pre/five", 2)
    c = sn.Client(sn.gateway_port(t), "sn-cong")
    c.connect()
    # max_buffered_messages = 2 bounds the QoS 2 messages held for PUBREL.
    for msg_id in (1, 2):
        c.send(sn.publish(5, b"held %d" % msg_id, qos=2, msg_id=msg_id, id_type=sn.PREDEFINED))
        assert c.expect(sn.PUBREC).msg_id == msg_id
    c.send(sn.publish(5, b"one too many", qos=2, msg_id=3, id_type=sn.PREDEFINED))
    p = c.expect(sn.PUBACK)
    assert (p.topic_id, p.msg_id, p.rc) == (5, 3, sn.CONGESTION)
    c.send(sn.pubrel(1))
    assert c.expect(sn.PUBCOMP).msg_id == 1
    c.send(sn.publish(5, b"room again", qos=2, msg_id=3, id_type=sn.PREDEFINED))
    assert c.expect(sn.PUBREC).msg_id == 3
    got = sorted(sub.get().payload for _ in range(3))
    assert got == [b"held 1", b"held 2", b"room again"]
    sub.disconnect()


def test_unsubscribe_by_name_predefined_id_and_short_name(t):
    pub = m.Client(t.mqtt_port, "unsub-pub")
    c = sn.Client(sn.gateway_port(t), "sn-unsub")
    c.connect()
    c.subscribe("sn/unsub/#", qos=0)
    c.subscribe(6, qos=0, id_type=sn.PREDEFINED)
    c.subscribe("uv", qos=0, id_type=sn.SHORT)
    c.unsubscribe("sn/unsub/#")
    c.unsubscribe(6, id_type=sn.PREDEFINED)
    c.unsubscribe("uv", id_type=sn.SHORT)
    for topic in ("sn/unsub/a", "sn/pre/six", "uv"):
        pub.publish(topic, b"nobody listens", qos=1)
    c.assert_quiet()
    pub.disconnect()
