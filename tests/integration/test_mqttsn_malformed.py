"""Malformed MQTT-SN datagrams are dropped, counted and logged, and nobody
notices: not the sender's own session, not other MQTT-SN clients, not MQTT
clients (MQTT-SN 1.2 section 5)."""

import re
import struct
import time

import mqtt_support as m
import mqttsn_client as sn
from rest_support import Rest, metric, poll

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


MALFORMED_LINE = "malformed datagram dropped"
MALFORMED_METRIC = 'trellis_mqttsn_dropped_total{reason="malformed"}'


def malformed_counted(t, n):
    """Waits until the gateway has counted n malformed datagrams (bounded)."""
    rest = Rest(t.http_port)
    return poll(lambda: metric(rest, MALFORMED_METRIC) == n)


def lines_and_held_back(lines):
    """How many malformed-datagram lines were written, and how many more they
    say were held back."""
    written = [l for l in lines if MALFORMED_LINE in l]
    held = sum(int(w) for l in written for w in re.findall(r" held_back=(\d+)$", l))
    return len(written), held


def test_malformed_datagrams_from_a_stranger_are_dropped_unanswered(trellis):
    stranger = sn.Client(sn.gateway_port(trellis), "stranger")
    for bad in MALFORMED:
        stranger.send(bad)
    # The first answer it ever gets is to its SEARCHGW.
    stranger.send(sn.searchgw())
    stranger.expect(sn.GWINFO)
    assert malformed_counted(trellis, len(MALFORMED))
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

    assert malformed_counted(trellis, 2 * len(MALFORMED))
    paho.disconnect()


def test_a_flood_of_malformed_datagrams_is_logged_in_bounded_lines(trellis):
    """A peer that can send garbage at will must not get a log line per
    datagram: at most ten lines a second, and the next line says how many
    were held back, so the log still accounts for every datagram."""
    stranger = sn.Client(sn.gateway_port(trellis), "flooder")
    flood = 2000
    started = time.monotonic()
    # In batches a socket buffer holds, so that no datagram is lost on the way.
    for batch in range(0, flood, 100):
        for i in range(batch, batch + 100):
            stranger.send(MALFORMED[i % len(MALFORMED)])
        assert malformed_counted(trellis, batch + 100)
    seconds = time.monotonic() - started
    written, _ = lines_and_held_back(trellis.lines)
    assert written <= 10 * (int(seconds) + 2), (written, seconds)

    # Datagrams sent now and then, until the log accounts for every one: the
    # first in a new second gets a line that reports what was held back.
    sent = flood
    deadline = time.monotonic() + 15
    while sum(lines_and_held_back(trellis.lines)) != sent:
        assert time.monotonic() < deadline, (lines_and_held_back(trellis.lines), sent)
        stranger.send(MALFORMED[0])
        sent += 1
        assert malformed_counted(trellis, sent)
        try:
            trellis.wait_for_log("held_back=", timeout=0.3, start=len(trellis.lines))
        except AssertionError:
            pass  # no line yet: the datagram was held back too
