"""Malformed or forbidden input closes that one connection (MQTT 3.1.1 section
4.8) and publishes its will; every other client keeps working."""

import queue

import pytest

import mqtt_support as m

MAX_PACKET = 1024


def bad_topic_publish(topic_bytes, qos=0):
    body = m.mqtt_string(topic_bytes) + (b"\x00\x01" if qos else b"") + b"payload"
    return m.packet(0x30 | (qos << 1), body)


# Each case: the bytes sent after a valid CONNECT, named after the rule they break.
AFTER_CONNECT = {
    "reserved_flags_subscribe": m.packet(0x80, b"\x00\x01" + m.mqtt_string("a") + b"\x00"),
    "reserved_flags_pubrel": m.packet(0x60, b"\x00\x01"),
    "reserved_flags_pingreq": b"\xc1\x00",
    "reserved_flags_disconnect": b"\xe2\x00",
    "remaining_length_over_four_bytes": b"\x30\xff\xff\xff\xff\x01",
    "remaining_length_wrong_for_puback": m.packet(0x40, b"\x00\x01\x00"),
    "invalid_utf8_in_topic": bad_topic_publish(b"bad/\xff\xfe"),
    "overlong_utf8_in_topic": bad_topic_publish(b"bad/\xc0\xaf"),
    "surrogate_in_topic": bad_topic_publish(b"bad/\xed\xa0\x80"),
    "null_character_in_topic": bad_topic_publish(b"bad/\x00x"),
    "empty_topic": bad_topic_publish(b""),
    "single_level_wildcard_in_publish_topic": bad_topic_publish(b"bad/+"),
    "multi_level_wildcard_in_publish_topic": bad_topic_publish(b"bad/#"),
    # Walked a level per call, 60,000 levels overflowed the stack.
    "topic_with_60000_levels": bad_topic_publish(b"/" * 60000),
    "packet_id_zero_on_qos1_publish": m.publish("ok/topic", b"x", qos=1, packet_id=0),
    "packet_id_zero_on_qos2_publish": m.publish("ok/topic", b"x", qos=2, packet_id=0),
    "packet_id_zero_on_subscribe": m.subscribe(0, [("a/b", 0)]),
    "qos_3_publish": m.packet(0x36, m.mqtt_string("ok/topic") + b"\x00\x01x"),
    "dup_on_qos0_publish": m.packet(0x38, m.mqtt_string("ok/topic") + b"x"),
    "subscribe_without_topics": m.packet(0x82, b"\x00\x01"),
    "subscribe_qos_3": m.packet(0x82, b"\x00\x01" + m.mqtt_string("a") + b"\x03"),
    "subscribe_bad_multi_level_wildcard": m.subscribe(1, [("a/#/b", 0)]),
    "subscribe_bad_single_level_wildcard": m.subscribe(1, [("a/b+", 0)]),
    "subscribe_60000_levels": m.subscribe(1, [("/" * 60000, 0)]),
    "unsubscribe_without_topics": m.packet(0xA2, b"\x00\x01"),
    "packet_type_0": b"\x00\x00",
    "packet_type_15": b"\xf0\x00",
    "server_only_connack_from_client": b"\x20\x02\x00\x00",
    "server_only_suback_from_client": b"\x90\x03\x00\x01\x00",
    "second_connect": m.connect("victim"),
    "packet_over_max_packet_size": m.publish("ok/big", b"x" * MAX_PACKET, qos=0),
    "announced_size_over_max_packet_size": b"\x30\xff\xff\x03",
}

# Bytes sent as the very first packet.
AS_FIRST_PACKET = {
    "first_packet_not_connect": m.publish("ok/topic", b"x"),
    "connect_reserved_flag_set": m.packet(
        0x10, m.mqtt_string("MQTT") + bytes([4, 0x03]) + b"\x00\x00" + m.mqtt_string("x")),
    "connect_bad_protocol_name": m.packet(
        0x10, m.mqtt_string("MQTX") + bytes([4, 0x02]) + b"\x00\x00" + m.mqtt_string("x")),
    "connect_will_qos_without_will_flag": m.packet(
        0x10, m.mqtt_string("MQTT") + bytes([4, 0x0A]) + b"\x00\x00" + m.mqtt_string("x")),
    "connect_password_without_username": m.packet(
        0x10, m.mqtt_string("MQTT") + bytes([4, 0x42]) + b"\x00\x00" + m.mqtt_string("x") +
        m.mqtt_string("pw")),
    "connect_invalid_utf8_client_id": m.packet(
        0x10, m.mqtt_string("MQTT") + bytes([4, 0x02]) + b"\x00\x00" + m.mqtt_string(b"\xff")),
    "connect_truncated": m.packet(0x10, m.mqtt_string("MQTT") + bytes([4])),
}


class Bystanders:
    """A publisher and a subscriber that must not notice the bad client."""

    def __init__(self, port):
        self.sub = m.Client(port, "bystander-sub")
        self.sub.subscribe([("ok/#", 1), ("wills/#", 1)])
        self.pub = m.Client(port, "bystander-pub")
        self.pub.publish("ok/before", b"1", qos=1)
        assert self.sub.get().topic == "ok/before"

    def still_working(self):
        self.pub.publish("ok/after", b"2", qos=1)
        got = self.sub.get()
        assert (got.topic, got.payload) == ("ok/after", b"2")
        with pytest.raises(queue.Empty):
            self.sub.disconnects.get_nowait()
        with pytest.raises(queue.Empty):
            self.pub.disconnects.get_nowait()
        self.sub.disconnect()
        self.pub.disconnect()


@pytest.fixture
def broker(make_trellis):
    return make_trellis(settings={"mqtt.max_packet_size": MAX_PACKET}).start()


@pytest.mark.parametrize("rule", sorted(AFTER_CONNECT))
def test_closes_only_the_offending_connection(broker, rule):
    by = Bystanders(broker.mqtt_port)
    bad = m.RawClient(broker.mqtt_port)
    bad.connect("victim", will=("wills/victim", rule.encode(), 1, False))
    bad.send(AFTER_CONNECT[rule])
    assert bad.wait_closed(), f"{rule}: connection not closed"
    # A protocol violation is a close without DISCONNECT: the will goes out.
    will = by.sub.get()
    assert (will.topic, will.payload) == ("wills/victim", rule.encode())
    by.still_working()


@pytest.mark.parametrize("rule", sorted(AS_FIRST_PACKET))
def test_bad_first_packet_closes_without_connack(broker, rule):
    by = Bystanders(broker.mqtt_port)
    bad = m.RawClient(broker.mqtt_port)
    bad.send(AS_FIRST_PACKET[rule])
    with pytest.raises(m.Closed):
        bad.recv()
    by.still_working()


def test_packet_at_max_packet_size_is_accepted(broker):
    by = Bystanders(broker.mqtt_port)
    raw = m.RawClient(broker.mqtt_port)
    raw.connect("big")
    topic = "ok/big"
    # Fixed header 1 + 2 (Remaining Length > 127), topic 2 + len, no packet id.
    payload = b"y" * (MAX_PACKET - 3 - 2 - len(topic))
    data = m.publish(topic, payload)
    assert len(data) == MAX_PACKET
    raw.send(data)
    got = by.sub.get()
    assert (got.topic, len(got.payload)) == (topic, len(payload))
    raw.ping()
    by.still_working()


def test_bad_input_sent_byte_by_byte_still_closes(broker):
    by = Bystanders(broker.mqtt_port)
    bad = m.RawClient(broker.mqtt_port)
    bad.connect("slowbad")
    good = m.publish("ok/slow", b"in pieces", qos=1, packet_id=9)
    for i in range(len(good)):
        bad.send(good[i:i + 1])
    assert bad.expect(m.PUBACK).packet_id == 9
    assert by.sub.get().payload == b"in pieces"
    for b in bad_topic_publish(b"bad/+"):
        bad.send(bytes([b]))
    assert bad.wait_closed()
    by.still_working()
