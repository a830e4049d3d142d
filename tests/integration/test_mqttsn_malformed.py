"""Malformed MQTT-SN datagrams are dropped, counted and logged, and nobody
notices: not the sender's own session, not other MQTT-SN clients, not MQTT
clients (MQTT-SN 1.2 section 5)."""

import struct

import mqtt_support as m
import mqttsn_client as sn

MALFORMED = [
    b"",                                            # nothing at all
    b"\x05",                                        # shorter than a header
    b"\x05\x0c\x00",                                # Length 5, 3 octets
    b"\x00\x04",                                    # Length 0
    b"\x02\x16extra",                               # Length 2, 7 octets
    b"\x01\x00\x05\x0c\x00",                        # 3-octet Length form, PUBLISH too short
    b"\x03\xf0\x00",                                # reserved MsgType
    sn.frame(sn.PUBLISH, b"\x03" + struct.pack("!HH", 1, 0) + b"x"),   # TopicIdType 11
    sn.frame(sn.SUBSCRIBE, b"\x60" + struct.pack("!H", 1) + b"a"),    # SUBSCRIBE QoS -1
    sn.frame(sn.CONNECT, b"\x04\x02\x00\x3c" + b"bad-proto"),          # ProtocolId 2
    sn.frame(sn.REGISTER, struct.pack("!HH", 0, 1) + b"\xff\xfe"),     # not UTF-8
    sn.frame(sn.SUBSCRIBE, b"\x00" + struct.pack("!H", 1)),            # empty topic name
    sn.frame(sn.PUBACK, struct.pack("!HHB", 1, 1, 9)),                 # reserved ReturnCode
    b"\xff" * 40,                                   # noise
]


def wait_for_malformed_lines(t, n):
    """Waits for the n-th "malformed datagram dropped" line; returns how many
    there are (the log reaches us through a pipe, a little behind)."""
    i = -1
    for _ in range(n):
        i = t.wait_for_log("malformed datagram dropped", start=i + 1)
    return sum("malformed datagram dropped" in line for line in t.lines)


def test_malformed_datagrams_from_a_stranger_are_dropped_unanswered(trellis):
    stranger = sn.Client(sn.gateway_port(trellis), "stranger")
    for bad in MALFORMED:
        stranger.send(bad)
    # The first answer it ever gets is to its SEARCHGW.
    stranger.send(sn.searchgw())
    stranger.expect(sn.GWINFO)
    assert wait_for_malformed_lines(trellis, len(MALFORMED)) == len(MALFORMED)
    trellis.wait_for_log("malformed datagram dropped remote=127.0.0.1:%d" % stranger.address[1])


def test_malformed_datagrams_do_not_disturb_anyone(trellis):
    paho = m.Client(trellis.mqtt_port, "mal-paho")
    paho.subscribe("sn/mal/up", 2)
    victim = sn.Client(sn.gateway_port(trellis), "sn-victim")
    victim.connect()
    victim.subscribe("sn/mal/down", qos=1)
    topic_id = victim.register("sn/mal/up")
    bystander = sn.Client(sn.gateway_port(trellis), "sn-bystander")
    bystander.connect()
    bystander.subscribe("sn/mal/down", qos=1)

    # The victim is in the middle of an inbound QoS 2 flow when garbage arrives,
    # from its own address and from elsewhere.
    victim.send(sn.publish(topic_id, b"exactly once", qos=2, msg_id=77))
    assert victim.expect(sn.PUBREC).msg_id == 77
    stranger = sn.Client(sn.gateway_port(trellis), "stranger")
    for bad in MALFORMED:
        victim.send(bad)
        stranger.send(bad)
    victim.send(sn.pubrel(77))
    assert victim.expect(sn.PUBCOMP).msg_id == 77

    # Everyone carries on as before.
    msg = paho.get()
    assert (msg.topic, msg.payload, msg.qos) == ("sn/mal/up", b"exactly once", 2)
    paho.publish("sn/mal/down", b"still there?", qos=1)
    assert victim.get().data == b"still there?"
    assert bystander.get().data == b"still there?"
    bystander.publish(bystander.register("sn/mal/up"), b"bystander", qos=1)
    assert paho.get().payload == b"bystander"
    victim.assert_quiet()

    assert wait_for_malformed_lines(trellis, 2 * len(MALFORMED)) == 2 * len(MALFORMED)
    paho.disconnect()
