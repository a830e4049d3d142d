"""Retained messages: set, replace, clear with an empty payload, delivery with
the retain flag to new subscriptions (wildcards included), and the retain flag
cleared on ordinary forwarding (MQTT 3.1.1 section 3.3.1.3)."""

import mqtt_support as m


def retained_for(port, client_id, filters):
    """What a fresh subscriber gets for `filters` before a marker."""
    sub = m.Client(port, client_id)
    sub.subscribe(filters + [("rmark/end", 2)])
    pub = m.Client(port, client_id + "-pub")
    got = m.marker(pub, sub, "rmark/end")
    sub.disconnect()
    pub.disconnect()
    return got


def test_set_replace_and_clear(trellis):
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("ret/state", b"one", qos=1, retain=True)
    got = retained_for(trellis.mqtt_port, "s1", [("ret/state", 1)])
    assert [(g.payload, g.retain, g.qos) for g in got] == [(b"one", True, 1)]

    pub.publish("ret/state", b"two", qos=1, retain=True)
    got = retained_for(trellis.mqtt_port, "s2", [("ret/state", 1)])
    assert [(g.payload, g.retain) for g in got] == [(b"two", True)]

    # [MQTT-3.3.1-10]: an empty retained payload removes the retained message.
    pub.publish("ret/state", b"", qos=1, retain=True)
    assert retained_for(trellis.mqtt_port, "s3", [("ret/state", 1)]) == []
    pub.disconnect()


def test_qos0_retained_replaces_too(trellis):
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("ret/q0", b"first", qos=1, retain=True)
    pub.publish("ret/q0", b"second", qos=0, retain=True)
    # Routed in order on one connection: once this QoS 1 publish is
    # acknowledged, the QoS 0 one above has replaced the retained message.
    pub.publish("ret/fence", b"", qos=1)
    got = retained_for(trellis.mqtt_port, "s", [("ret/q0", 2)])
    assert [(g.payload, g.qos) for g in got] == [(b"second", 0)]
    pub.disconnect()


def test_retained_sent_to_matching_wildcards(trellis):
    pub = m.Client(trellis.mqtt_port, "pub")
    for topic in ("w/a", "w/b/c", "w/b/d", "other/b/c", "w"):
        pub.publish(topic, topic.encode(), qos=1, retain=True)
    cases = {
        "w/#": {"w", "w/a", "w/b/c", "w/b/d"},
        "w/+": {"w/a"},
        "+/b/+": {"w/b/c", "w/b/d", "other/b/c"},
        "w/b/c": {"w/b/c"},
        "#": {"w", "w/a", "w/b/c", "w/b/d", "other/b/c"},
        "nothing/+": set(),
    }
    for i, (flt, want) in enumerate(cases.items()):
        got = retained_for(trellis.mqtt_port, f"wild{i}", [(flt, 1)])
        assert {g.topic for g in got} == want, flt
        assert all(g.retain for g in got), flt
        assert len(got) == len(want), f"{flt}: a retained message came twice"
    pub.disconnect()


def test_retained_qos_is_min_of_stored_and_subscription(trellis):
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("rq/one", b"stored at 1", qos=1, retain=True)
    assert [g.qos for g in retained_for(trellis.mqtt_port, "q0", [("rq/one", 0)])] == [0]
    assert [g.qos for g in retained_for(trellis.mqtt_port, "q2", [("rq/one", 2)])] == [1]
    pub.disconnect()


def test_retain_flag_is_0_when_forwarding_to_existing_subscribers(trellis):
    # [MQTT-3.3.1-9]
    sub = m.Client(trellis.mqtt_port, "live")
    sub.subscribe("fw/#", 1)
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("fw/t", b"live retained", qos=1, retain=True)
    msg = sub.get()
    assert (msg.payload, msg.retain) == (b"live retained", False)
    # The same message still reaches a later subscriber as retained.
    got = retained_for(trellis.mqtt_port, "later", [("fw/t", 1)])
    assert [(g.payload, g.retain) for g in got] == [(b"live retained", True)]
    sub.disconnect()
    pub.disconnect()


def test_resubscribe_sends_retained_again(trellis):
    # [MQTT-3.8.4-3]: a repeated subscription resends the retained messages.
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("again/t", b"kept", qos=1, retain=True)
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("resub")
    for pid in (1, 2):
        assert raw.subscribe([("again/#", 1)], packet_id=pid) == [1]
        p = raw.expect(m.PUBLISH)
        assert (p.payload, p.retain) == (b"kept", True)
        raw.send(m.ack(m.PUBACK, p.packet_id))
    pub.disconnect()


def test_retained_sent_after_suback_with_mosquitto_sub(trellis):
    m.run(["mosquitto_pub", "-h", m.HOST, "-p", str(trellis.mqtt_port), "-t", "cli/ret", "-m", "r1",
           "-r", "-q", "1"])
    r = m.run(["mosquitto_sub", "-h", m.HOST, "-p", str(trellis.mqtt_port), "-t", "cli/#", "-C", "1",
               "-v", "-W", "20"])
    assert r.stdout.decode().strip() == "cli/ret r1"
    # Clear from the command line, then a fresh subscription gets nothing retained.
    m.run(["mosquitto_pub", "-h", m.HOST, "-p", str(trellis.mqtt_port), "-t", "cli/ret", "-n", "-r",
           "-q", "1"])
    assert retained_for(trellis.mqtt_port, "after-clear", [("cli/#", 1)]) == []
