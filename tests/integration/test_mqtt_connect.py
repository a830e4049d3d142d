"""CONNECT rules, MQTT 3.1 clients, last will, keep alive and takeover
(MQTT 3.1.1 sections 3.1, 3.14, 4.1, 4.4)."""

import time

import paho.mqtt.client as paho

import mqtt_support as m


def test_first_packet_must_be_connect(trellis):
    # [MQTT-3.1.0-1]: anything else first closes the connection, with no CONNACK.
    raw = m.RawClient(trellis.mqtt_port)
    raw.send(m.PINGREQ_BYTES)
    assert raw.wait_closed()


def test_second_connect_closes_the_connection(trellis):
    # [MQTT-3.1.0-2]: a second CONNECT is a protocol violation.
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("twice")
    raw.send(m.connect("twice"))
    assert raw.wait_closed()


def test_unsupported_protocol_level_gets_connack_1_then_close(trellis):
    # [MQTT-3.1.2-2]: level 5 (MQTT 5, with an empty property block) is not served.
    raw = m.RawClient(trellis.mqtt_port)
    body = m.mqtt_string("MQTT") + bytes([5, 0x02]) + b"\x00\x3c" + b"\x00" + m.mqtt_string("v5")
    raw.send(m.packet(0x10, body))
    ack = raw.expect(m.CONNACK)
    assert ack.body == b"\x00\x01"
    assert raw.wait_closed()


def test_mqisdp_name_with_level_4_gets_connack_1(trellis):
    raw = m.RawClient(trellis.mqtt_port)
    raw.send(m.connect("odd", protocol=("MQIsdp", 4)))
    assert raw.expect(m.CONNACK).body == b"\x00\x01"
    assert raw.wait_closed()


def test_empty_client_id_with_clean_session_0_gets_connack_2(trellis):
    # [MQTT-3.1.3-8]
    raw = m.RawClient(trellis.mqtt_port)
    raw.send(m.connect("", clean=False))
    assert raw.expect(m.CONNACK).body == b"\x00\x02"
    assert raw.wait_closed()


def test_empty_client_id_with_clean_session_1_is_assigned_one(trellis):
    # [MQTT-3.1.3-6]: the server assigns a unique id and the session works.
    first = trellis.wait_for_log(" ready ")
    raw = m.RawClient(trellis.mqtt_port)
    ack = raw.connect("", clean=True)
    assert ack.body == b"\x00\x00"
    trellis.wait_for_log('client connected client=trellis-', start=first)
    assert raw.subscribe([("assigned/echo", 1)]) == [1]
    raw.send(m.publish("assigned/echo", b"hi", qos=1, packet_id=5))
    got = {}
    for _ in range(2):
        p = raw.recv()
        got[p.type] = p
    assert got[m.PUBACK].packet_id == 5
    assert got[m.PUBLISH].payload == b"hi"
    # A second anonymous client gets a different id: both stay connected.
    other = m.RawClient(trellis.mqtt_port)
    other.connect("", clean=True)
    raw.ping()
    other.ping()


def test_client_that_never_sends_connect_is_dropped(make_trellis):
    # The kernel holds a plain TCP connection back until the client speaks;
    # a silent one is handed over after about a second and then meets the
    # CONNECT deadline like any other.
    t = make_trellis(settings={"mqtt.connect_timeout": 1}).start()
    silent = m.RawClient(t.mqtt_port)
    assert silent.wait_closed(timeout=m.WAIT)
    # The broker is unharmed.
    m.RawClient(t.mqtt_port).connect("after-silent")


def test_client_that_speaks_late_is_served(trellis):
    # Longer than the kernel holds a quiet connection back, shorter than the
    # CONNECT deadline: the pause is the client's behaviour under test.
    raw = m.RawClient(trellis.mqtt_port)
    time.sleep(1.5)
    assert raw.connect("late").body == b"\x00\x00"
    raw.ping()


def test_connections_one_after_another_are_all_accepted(trellis):
    # Each connection comes after the listener has gone back to waiting, so
    # every one of them needs the wait to have been queued again.
    for i in range(300):
        raw = m.RawClient(trellis.mqtt_port)
        assert raw.connect(f"serial-{i}").body == b"\x00\x00"
        raw.send(m.DISCONNECT_BYTES)
        assert raw.wait_closed()


def test_mqtt31_empty_client_id_gets_connack_2(trellis):
    # MQTT 3.1 asks for 1 to 23 characters; assigning an id is a 3.1.1 feature.
    raw = m.RawClient(trellis.mqtt_port)
    raw.send(m.connect("", clean=True, protocol=("MQIsdp", 3)))
    assert raw.expect(m.CONNACK).body == b"\x00\x02"
    assert raw.wait_closed()


def test_mqtt31_connack_has_no_session_present_flag(trellis):
    for expected in (b"\x00\x00", b"\x00\x00"):
        raw = m.RawClient(trellis.mqtt_port)
        raw.send(m.connect("old-persistent", clean=False, protocol=("MQIsdp", 3)))
        assert raw.expect(m.CONNACK).body == expected
        raw.send(m.DISCONNECT_BYTES)
        assert raw.wait_closed()
    # The session was kept all the same: a 3.1.1 reconnect sees it.
    raw = m.RawClient(trellis.mqtt_port)
    assert raw.connect("old-persistent", clean=False).body == b"\x01\x00"


def test_mqtt31_client_publishes_with_mosquitto_pub(trellis):
    sub = m.Client(trellis.mqtt_port, "sub311")
    sub.subscribe("legacy/in", 1)
    m.run(["mosquitto_pub", "-h", m.HOST, "-p", str(trellis.mqtt_port), "-V", "mqttv31",
           "-i", "pub31", "-t", "legacy/in", "-m", "from 3.1", "-q", "1"])
    msg = sub.get()
    assert (msg.topic, msg.payload, msg.qos) == ("legacy/in", b"from 3.1", 1)
    sub.disconnect()


def test_mqtt31_client_subscribes_with_mosquitto_sub(trellis):
    pub = m.Client(trellis.mqtt_port, "pub311")
    pub.publish("legacy/out", b"kept", qos=1, retain=True)
    r = m.run(["mosquitto_sub", "-h", m.HOST, "-p", str(trellis.mqtt_port), "-V", "mqttv31",
               "-i", "sub31", "-t", "legacy/#", "-q", "1", "-C", "1", "-v", "-W", "20"])
    assert r.stdout.decode().strip() == "legacy/out kept"
    pub.disconnect()


def test_mqtt31_paho_client_both_directions(trellis):
    old = m.Client(trellis.mqtt_port, "paho31", protocol=paho.MQTTv31)
    new = m.Client(trellis.mqtt_port, "paho311")
    assert old.subscribe("v31/down", 2) == [2]
    new.subscribe("v31/up", 2)
    new.publish("v31/down", b"to old", qos=2)
    old.publish("v31/up", b"to new", qos=2)
    assert old.get().payload == b"to old"
    assert new.get().payload == b"to new"
    old.disconnect()
    new.disconnect()


def test_will_published_on_abrupt_close(trellis):
    watcher = m.Client(trellis.mqtt_port, "watcher")
    watcher.subscribe("wills/#", 1)
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("dying", will=("wills/dying", b"gone", 1, False))
    raw.abort()
    msg = watcher.get()
    assert (msg.topic, msg.payload, msg.qos, msg.retain) == ("wills/dying", b"gone", 1, False)
    watcher.disconnect()


def test_will_published_when_socket_just_closes(trellis):
    watcher = m.Client(trellis.mqtt_port, "watcher")
    watcher.subscribe("wills/#", 0)
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("closing", will=("wills/closing", b"bye", 0, False))
    raw.close()
    assert watcher.get().topic == "wills/closing"
    watcher.disconnect()


def test_retained_will_is_kept(trellis):
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("retwill", will=("wills/retained", b"last words", 1, True))
    raw.abort()
    trellis.wait_for_log('client disconnected client=retwill ')
    late = m.Client(trellis.mqtt_port, "late")
    late.subscribe("wills/retained", 1)
    msg = late.get()
    assert (msg.payload, msg.retain) == (b"last words", True)
    late.disconnect()


def test_no_will_after_disconnect(trellis):
    watcher = m.Client(trellis.mqtt_port, "watcher")
    watcher.subscribe("wills/#", 1)
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("polite", will=("wills/polite", b"should not appear", 1, False))
    raw.send(m.DISCONNECT_BYTES)
    assert raw.wait_closed()
    trellis.wait_for_log('client disconnected client=polite ')
    assert m.marker(watcher, watcher, "wills/marker") == []
    watcher.disconnect()


def test_will_published_on_keepalive_expiry_after_one_and_a_half_times(trellis):
    # [MQTT-3.1.2-24]: no packet within 1.5 x keep alive closes the connection.
    watcher = m.Client(trellis.mqtt_port, "watcher")
    watcher.subscribe("wills/#", 1)
    raw = m.RawClient(trellis.mqtt_port)
    start = time.monotonic()  # before the broker last hears from the client
    raw.connect("silent", keepalive=2, will=("wills/silent", b"timed out", 1, False))
    assert raw.wait_closed(timeout=15)
    waited = time.monotonic() - start
    assert 2.7 <= waited < 8, f"closed after {waited:.2f}s, expected about 3s"
    assert watcher.get().payload == b"timed out"
    trellis.wait_for_log('keepalive expired client=silent ')
    watcher.disconnect()


def test_pings_keep_the_connection_alive(trellis):
    raw = m.RawClient(trellis.mqtt_port)
    raw.connect("pinger", keepalive=1)
    # Each PINGRESP arrives before the 1.5 s limit of the previous ping runs out.
    start = time.monotonic()
    while time.monotonic() - start < 3.5:
        raw.ping()
        deadline = time.monotonic() + 0.3
        assert not raw.wait_closed(timeout=max(0.05, deadline - time.monotonic()))
    raw.ping()


def test_keepalive_zero_means_no_timeout(trellis):
    forever = m.RawClient(trellis.mqtt_port)
    forever.connect("forever", keepalive=0)
    # Two silent keepalive-1 clients, one after the other: when the second has
    # been dropped, the keepalive-0 client has been silent for over 3 s.
    for name in ("short-a", "short-b"):
        short = m.RawClient(trellis.mqtt_port)
        short.connect(name, keepalive=1)
        assert short.wait_closed(timeout=10)
    forever.ping()


def test_takeover_closes_the_first_connection_and_publishes_its_will(trellis):
    # [MQTT-3.1.4-2]
    watcher = m.Client(trellis.mqtt_port, "watcher")
    watcher.subscribe("wills/#", 1)
    first = m.RawClient(trellis.mqtt_port)
    first.connect("same-id", will=("wills/first", b"taken over", 1, False))
    second = m.RawClient(trellis.mqtt_port)
    second.connect("same-id")
    assert first.wait_closed()
    assert watcher.get().payload == b"taken over"
    trellis.wait_for_log('client id taken over client=same-id')
    # The new connection owns the id from now on.
    assert second.subscribe([("takeover/t", 0)]) == [0]
    watcher.publish("takeover/t", b"to second")
    assert second.expect(m.PUBLISH).payload == b"to second"
    second.ping()
    watcher.disconnect()
