"""Persistent sessions (clean session 0): subscriptions and QoS 1/2 messages
kept while the client is away, the session present flag, the queue bound and
its dropped count, and takeover of a persistent session (MQTT 3.1.1 3.1.2.4,
3.2.2.2, 4.1)."""

import mqtt_support as m


def test_session_present_flag(trellis):
    raw = m.RawClient(trellis.mqtt_port)
    assert raw.connect("flags", clean=False).body == b"\x00\x00"  # [MQTT-3.2.2-3]: new session
    raw.send(m.DISCONNECT_BYTES)
    raw.wait_closed()
    raw = m.RawClient(trellis.mqtt_port)
    assert raw.connect("flags", clean=False).body == b"\x01\x00"  # [MQTT-3.2.2-2]: kept
    raw.send(m.DISCONNECT_BYTES)
    raw.wait_closed()
    raw = m.RawClient(trellis.mqtt_port)
    assert raw.connect("flags", clean=True).body == b"\x00\x00"  # [MQTT-3.2.2-1]: always 0
    raw.send(m.DISCONNECT_BYTES)
    raw.wait_closed()
    # Clean session 1 discarded the stored session.
    raw = m.RawClient(trellis.mqtt_port)
    assert raw.connect("flags", clean=False).body == b"\x00\x00"


def test_qos1_and_qos2_messages_queued_while_away(trellis):
    away = m.Client(trellis.mqtt_port, "away", clean=False)
    away.subscribe([("q/#", 2)])
    away.disconnect()
    trellis.wait_for_log('client disconnected client=away ')
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("q/zero", b"lost", qos=0)  # QoS 0 is not kept for an absent client
    for i in range(5):
        pub.publish(f"q/{i}", f"m{i}".encode(), qos=1 + i % 2)
    back = m.Client(trellis.mqtt_port, "away", clean=False)
    assert back.session_present
    got = m.marker(pub, back, "q/marker")
    # Sorted: paho hands QoS 2 messages over at PUBREL, after later QoS 1 ones.
    assert sorted((g.topic, g.payload, g.qos) for g in got) == [
        (f"q/{i}", f"m{i}".encode(), 1 + i % 2) for i in range(5)]
    assert not any(g.retain for g in got)
    back.disconnect()
    pub.disconnect()


def test_queued_messages_come_back_in_publish_order(trellis):
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("ordered", clean=False)
    assert raw.subscribe([("ord/#", 2)]) == [2]
    raw.send(m.DISCONNECT_BYTES)
    raw.wait_closed()
    trellis.wait_for_log('client disconnected client=ordered ')
    pub = m.Client(trellis.mqtt_port, "pub")
    plan = [(f"ord/{i}", 1 + i % 2) for i in range(6)]
    for topic, q in plan:
        pub.publish(topic, topic.encode(), qos=q)
    raw = m.RawClient(trellis.mqtt_port)
    assert raw.connect("ordered", clean=False).body == b"\x01\x00"
    got = [raw.expect(m.PUBLISH) for _ in plan]
    assert [(p.topic, p.qos, p.dup, p.retain) for p in got] == [(t, q, False, False) for t, q in plan]
    pub.disconnect()


def test_queued_messages_resume_with_mosquitto_sub(trellis):
    port = str(trellis.mqtt_port)
    # -c: clean session 0; -E: exit right after the SUBACK, leaving the session.
    m.run(["mosquitto_sub", "-h", m.HOST, "-p", port, "-i", "cli-away", "-c", "-q", "1", "-t",
           "cliq/#", "-E"])
    for i in range(3):
        m.run(["mosquitto_pub", "-h", m.HOST, "-p", port, "-t", f"cliq/{i}", "-m", f"v{i}", "-q", "1"])
    r = m.run(["mosquitto_sub", "-h", m.HOST, "-p", port, "-i", "cli-away", "-c", "-q", "1", "-t",
               "cliq/#", "-C", "3", "-v", "-W", "20"])
    assert r.stdout.decode().split("\n")[:3] == ["cliq/0 v0", "cliq/1 v1", "cliq/2 v2"]


def test_clean_session_drops_subscriptions_and_queue(trellis):
    away = m.Client(trellis.mqtt_port, "cleaner", clean=False)
    away.subscribe("cl/#", 1)
    away.disconnect()
    trellis.wait_for_log('client disconnected client=cleaner ')
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("cl/x", b"queued", qos=1)
    fresh = m.Client(trellis.mqtt_port, "cleaner", clean=True)
    assert not fresh.session_present
    fresh.subscribe("cl/marker", 2)
    assert m.marker(pub, fresh, "cl/marker") == []
    fresh.disconnect()
    pub.disconnect()


def test_queue_bound_drops_and_counts(make_trellis):
    bound = 5
    t = make_trellis(settings={"mqtt.max_queued_messages": bound, "mqtt.sys_interval": 1}).start()
    away = m.Client(t.mqtt_port, "bounded", clean=False)
    away.subscribe("b/#", 1)
    away.disconnect()
    t.wait_for_log('client disconnected client=bounded ')
    pub = m.Client(t.mqtt_port, "pub")
    for i in range(bound + 3):
        pub.publish(f"b/{i}", str(i).encode(), qos=1)
    back = m.Client(t.mqtt_port, "bounded", clean=False)
    assert back.session_present
    back.subscribe("bmark", 2)
    got = m.marker(pub, back, "bmark")
    # The oldest messages are kept; what came past the bound was dropped.
    assert [g.payload for g in got] == [str(i).encode() for i in range(bound)]
    watcher = m.Client(t.mqtt_port, "watcher")
    watcher.subscribe("$SYS/broker/publish/messages/dropped", 0)
    while True:
        msg = watcher.get(timeout=15)
        if int(msg.payload) >= 3:
            break
    assert int(msg.payload) == 3
    for c in (back, pub, watcher):
        c.disconnect()
    t.close()


def test_takeover_of_a_persistent_session_keeps_it(trellis):
    first = m.RawClient(trellis.mqtt_port)
    first.connect("roaming", clean=False)
    assert first.subscribe([("roam/#", 1)]) == [1]
    second = m.RawClient(trellis.mqtt_port)
    assert second.connect("roaming", clean=False).body == b"\x01\x00"
    assert first.wait_closed()
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("roam/x", b"follows", qos=1)
    p = second.expect(m.PUBLISH)
    assert (p.topic, p.payload) == ("roam/x", b"follows")
    second.send(m.ack(m.PUBACK, p.packet_id))
    second.ping()
    pub.disconnect()


def test_takeover_with_clean_session_discards_the_old_session(trellis):
    first = m.RawClient(trellis.mqtt_port)
    first.connect("switch", clean=False)
    first.subscribe([("sw/#", 1)])
    second = m.RawClient(trellis.mqtt_port)
    assert second.connect("switch", clean=True).body == b"\x00\x00"
    assert first.wait_closed()
    second.subscribe([("swm", 0)])
    pub = m.Client(trellis.mqtt_port, "pub")
    pub.publish("sw/x", b"old subscription", qos=1)
    pub.publish("swm", b"marker", qos=0)
    p = second.expect(m.PUBLISH)
    assert p.topic == "swm"
    pub.disconnect()


def test_repeated_takeovers_leave_one_session(make_trellis):
    t = make_trellis(settings={"mqtt.sys_interval": 1}).start()
    clients = []
    for _ in range(5):
        c = m.RawClient(t.mqtt_port)
        c.connect("bouncer", clean=False)
        clients.append(c)
    for c in clients[:-1]:
        assert c.wait_closed()
    clients[-1].ping()
    watcher = m.Client(t.mqtt_port, "watcher")
    watcher.subscribe("$SYS/broker/clients/connected", 0)
    # The watcher and the last bouncer.
    while watcher.get(timeout=15).payload != b"2":
        pass
    watcher.disconnect()
    t.close()
