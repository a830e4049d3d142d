"""QoS 0, 1 and 2 in both directions, delivery at the lower of publish and
subscription QoS, exactly-once inbound QoS 2, the outbound inflight window,
in-order resend with DUP after a reconnect, and overlapping subscriptions
(MQTT 3.1.1 sections 3.3-3.7, 4.3, 4.4, 4.6)."""

import mqtt_support as m


def test_delivery_qos_is_min_of_publish_and_subscription(trellis):
    subs = []
    for q in range(3):
        s = m.Client(trellis.mqtt_port, f"sub-q{q}")
        assert s.subscribe("matrix/#", q) == [q]
        subs.append(s)
    pub = m.Client(trellis.mqtt_port, "pub")
    for pq in range(3):
        pub.publish(f"matrix/p{pq}", f"qos {pq}".encode(), qos=pq)
    for sq, s in enumerate(subs):
        got = [s.get() for _ in range(3)]
        assert [(g.topic, g.payload) for g in got] == [
            (f"matrix/p{pq}", f"qos {pq}".encode()) for pq in range(3)]
        assert [g.qos for g in got] == [min(pq, sq) for pq in range(3)], f"subscriber q{sq}"
        assert not any(g.retain for g in got)
    for c in subs + [pub]:
        c.disconnect()


def test_inbound_qos1_is_acknowledged_with_its_packet_id(trellis):
    sub = m.Client(trellis.mqtt_port, "sub")
    sub.subscribe("in/q1", 1)
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("raw-pub")
    raw.send(m.publish("in/q1", b"one", qos=1, packet_id=0x1234))
    assert raw.expect(m.PUBACK).packet_id == 0x1234
    assert sub.get().payload == b"one"
    sub.disconnect()


def test_inbound_qos2_is_delivered_exactly_once(trellis):
    # [MQTT-4.3.3-2]: the packet id is held from PUBLISH until PUBREL; a
    # resend with DUP in between is acknowledged but not delivered again.
    sub = m.Client(trellis.mqtt_port, "sub")
    sub.subscribe([("in/q2", 2), ("in/q2marker", 2)])
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("raw-pub")
    raw.send(m.publish("in/q2", b"once", qos=2, packet_id=7))
    assert raw.expect(m.PUBREC).packet_id == 7
    raw.send(m.publish("in/q2", b"once", qos=2, packet_id=7, dup=True))
    assert raw.expect(m.PUBREC).packet_id == 7
    raw.send(m.publish("in/q2", b"once", qos=2, packet_id=7, dup=True))
    assert raw.expect(m.PUBREC).packet_id == 7
    raw.send(m.ack(m.PUBREL, 7))
    assert raw.expect(m.PUBCOMP).packet_id == 7
    # A PUBREL repeated after PUBCOMP is answered again, harmlessly.
    raw.send(m.ack(m.PUBREL, 7))
    assert raw.expect(m.PUBCOMP).packet_id == 7
    got = m.marker(m.Client(trellis.mqtt_port, "marker-pub"), sub, "in/q2marker")
    assert [g.payload for g in got] == [b"once"]
    # Once released, the id may carry a new message, which is delivered.
    raw.send(m.publish("in/q2", b"again", qos=2, packet_id=7))
    assert raw.expect(m.PUBREC).packet_id == 7
    raw.send(m.ack(m.PUBREL, 7))
    assert raw.expect(m.PUBCOMP).packet_id == 7
    assert sub.get().payload == b"again"
    sub.disconnect()


def test_inbound_qos2_survives_a_reconnect_before_pubrel(trellis):
    sub = m.Client(trellis.mqtt_port, "sub")
    sub.subscribe([("in/q2r", 2), ("in/q2rmarker", 2)])
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("raw-q2", clean=False)
    raw.send(m.publish("in/q2r", b"held", qos=2, packet_id=3))
    assert raw.expect(m.PUBREC).packet_id == 3
    raw.abort()
    raw = m.RawClient(trellis.mqtt_port)
    assert raw.connect("raw-q2", clean=False).body == b"\x01\x00"
    raw.send(m.publish("in/q2r", b"held", qos=2, packet_id=3, dup=True))
    assert raw.expect(m.PUBREC).packet_id == 3
    raw.send(m.ack(m.PUBREL, 3))
    assert raw.expect(m.PUBCOMP).packet_id == 3
    got = m.marker(m.Client(trellis.mqtt_port, "marker-pub"), sub, "in/q2rmarker")
    assert [g.payload for g in got] == [b"held"]
    sub.disconnect()


def test_outbound_qos1_flow(trellis):
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("raw-sub")
    assert raw.subscribe([("out/q1", 1)]) == [1]
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("out/q1", b"a", qos=1)
    p = raw.expect(m.PUBLISH)
    assert (p.qos, p.dup, p.retain, p.payload) == (1, False, False, b"a")
    assert p.packet_id != 0
    raw.send(m.ack(m.PUBACK, p.packet_id))
    raw.ping()
    pub.disconnect()


def test_outbound_qos2_flow(trellis):
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("raw-sub")
    assert raw.subscribe([("out/q2", 2)]) == [2]
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("out/q2", b"first", qos=2)
    p = raw.expect(m.PUBLISH)
    assert (p.qos, p.payload) == (2, b"first")
    raw.send(m.ack(m.PUBREC, p.packet_id))
    assert raw.expect(m.PUBREL).packet_id == p.packet_id
    raw.send(m.ack(m.PUBCOMP, p.packet_id))
    pub.publish("out/q2", b"second", qos=2)
    p2 = raw.expect(m.PUBLISH)
    assert p2.payload == b"second"
    assert p2.packet_id != 0
    raw.send(m.ack(m.PUBREC, p2.packet_id))
    assert raw.expect(m.PUBREL).packet_id == p2.packet_id
    raw.send(m.ack(m.PUBCOMP, p2.packet_id))
    raw.ping()
    pub.disconnect()


def count_until_pingresp(raw):
    """PUBLISH packets that arrive before the answer to a PINGREQ sent now.
    Everything the broker queued for this client before it read the PINGREQ
    and the window allowed is written ahead of the PINGRESP."""
    raw.send(m.PINGREQ_BYTES)
    got = []
    while True:
        p = raw.recv()
        if p.type == m.PINGRESP:
            return got
        assert p.type == m.PUBLISH
        got.append(p)


def test_inflight_window_bounds_unacknowledged_messages(make_trellis):
    window = 3
    t = make_trellis(settings={"mqtt.max_inflight": window}).start()
    raw = m.RawClient(t.mqtt_port)
    raw.connect("no-acks")
    assert raw.subscribe([("win/#", 1)]) == [1]
    pub = m.Client(t.mqtt_port, "pub")
    for i in range(10):
        pub.publish(f"win/{i}", str(i).encode(), qos=1)  # each waits for its PUBACK
    first = count_until_pingresp(raw)
    assert [p.payload for p in first] == [b"0", b"1", b"2"]
    assert count_until_pingresp(raw) == []
    # One ack opens one slot.
    raw.send(m.ack(m.PUBACK, first[0].packet_id))
    more = count_until_pingresp(raw)
    assert [p.payload for p in more] == [b"3"]
    # Acking the rest lets everything through, in order.
    seen = first[1:] + more
    received = [p.payload for p in first + more]
    while len(received) < 10:
        for p in seen:
            raw.send(m.ack(m.PUBACK, p.packet_id))
        seen = count_until_pingresp(raw)
        assert len(seen) <= window
        received += [p.payload for p in seen]
    assert received == [str(i).encode() for i in range(10)]
    pub.disconnect()
    t.close()


def test_unacknowledged_messages_resent_with_dup_in_order_after_reconnect(trellis):
    # [MQTT-4.4.0-1]: on reconnect with clean session 0, unacknowledged
    # PUBLISH packets go again with DUP, and PUBRELs for PUBREC'd ones, in order.
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("resend", clean=False)
    assert raw.subscribe([("rs/#", 2)]) == [2]
    pub = m.Client(trellis.mqtt_port, "pub")
    plan = [("rs/a", 1), ("rs/b", 1), ("rs/c", 2), ("rs/d", 1), ("rs/e", 2)]
    for topic, q in plan:
        pub.publish(topic, topic.encode(), qos=q)
    first = [raw.expect(m.PUBLISH) for _ in plan]
    assert [(p.topic, p.qos, p.dup) for p in first] == [(t, q, False) for t, q in plan]
    ids = {p.topic: p.packet_id for p in first}
    # rs/c reaches PUBREC; everything else is left unanswered.
    raw.send(m.ack(m.PUBREC, ids["rs/c"]))
    assert raw.expect(m.PUBREL).packet_id == ids["rs/c"]
    raw.abort()

    raw = m.RawClient(trellis.mqtt_port)
    ack = raw.connect("resend", clean=False)
    assert ack.body == b"\x01\x00", "session present"
    again = [raw.recv() for _ in plan]
    assert [(p.type, p.packet_id) for p in again] == [
        (m.PUBLISH, ids["rs/a"]), (m.PUBLISH, ids["rs/b"]), (m.PUBREL, ids["rs/c"]),
        (m.PUBLISH, ids["rs/d"]), (m.PUBLISH, ids["rs/e"])]
    for p in again:
        if p.type == m.PUBLISH:
            assert p.dup, f"{p.topic} resent without DUP"
            assert p.payload == p.topic.encode()
    for topic in ("rs/a", "rs/b", "rs/d"):
        raw.send(m.ack(m.PUBACK, ids[topic]))
    raw.send(m.ack(m.PUBCOMP, ids["rs/c"]))
    raw.send(m.ack(m.PUBREC, ids["rs/e"]))
    assert raw.expect(m.PUBREL).packet_id == ids["rs/e"]
    raw.send(m.ack(m.PUBCOMP, ids["rs/e"]))
    assert count_until_pingresp(raw) == []
    # Nothing left to resend on the next reconnect.
    raw.send(m.DISCONNECT_BYTES)
    raw.wait_closed()
    raw = m.RawClient(trellis.mqtt_port)
    assert raw.connect("resend", clean=False).body == b"\x01\x00"
    assert count_until_pingresp(raw) == []
    pub.disconnect()


def test_overlapping_subscriptions_deliver_once_at_highest_qos(trellis):
    sub = m.Client(trellis.mqtt_port, "overlap")
    assert sub.subscribe([("ov/#", 0), ("ov/+/x", 2), ("ov/a/x", 1), ("+/a/#", 1)]) == [0, 2, 1, 1]
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("ov/a/x", b"q2", qos=2)
    pub.publish("ov/a/x", b"q1", qos=1)
    pub.publish("ov/a/y", b"y", qos=2)
    # The marker matches ov/+/x, so it comes at QoS 2, after the QoS 2 message
    # (paho hands a QoS 2 message over at PUBREL).
    got = m.marker(pub, sub, "ov/m/x")
    assert sorted((g.topic, g.payload, g.qos) for g in got) == [
        ("ov/a/x", b"q1", 1), ("ov/a/x", b"q2", 2), ("ov/a/y", b"y", 1)]
    sub.disconnect()
    pub.disconnect()


def test_unsubscribe_stops_delivery(trellis):
    sub = m.Client(trellis.mqtt_port, "unsub")
    sub.subscribe([("un/a", 1), ("un/b", 1), ("un/marker", 1)])
    sub.unsubscribe("un/a")
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("raw-unsub")
    raw.subscribe([("un/a", 0)])
    raw.send(m.unsubscribe(4, ["un/a", "never/subscribed"]))
    assert raw.expect(m.UNSUBACK).packet_id == 4
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("un/a", b"gone", qos=1)
    pub.publish("un/b", b"kept", qos=1)
    assert [g.payload for g in m.marker(pub, sub, "un/marker")] == [b"kept"]
    assert count_until_pingresp(raw) == []
    sub.disconnect()
    pub.disconnect()
