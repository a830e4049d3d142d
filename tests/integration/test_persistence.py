"""Broker state survives a restart: retained messages, persistent sessions
with their subscriptions, queued QoS 1/2 messages and in-flight QoS state, and
presence events."""

import json
import queue
import socket

import paho.mqtt.client as mqtt
import pytest

import mqtt_support as raw
import mqttsn_client as sn
from rest_support import Rest, poll
from trellis_process import Trellis

TIMEOUT = 10


def connect(port, client_id, clean=True):
    got = queue.Queue()
    connected = queue.Queue()
    c = mqtt.Client(client_id=client_id, clean_session=clean)
    c.on_message = lambda cl, u, m: got.put(m)
    c.on_connect = lambda cl, u, flags, rc: connected.put((flags.get("session present", 0), rc))
    c.subacks = queue.Queue()
    c.on_subscribe = lambda cl, u, mid, granted: c.subacks.put(granted)
    c.connect("127.0.0.1", port)
    c.loop_start()
    present, rc = connected.get(timeout=TIMEOUT)
    assert rc == 0
    return c, got, present


def first_message(port, client_id, topic_filter):
    """(topic, payload, retain) of the first message a fresh subscriber gets."""
    c, got, _ = connect(port, client_id)
    c.subscribe(topic_filter, qos=0)
    m = got.get(timeout=TIMEOUT)
    c.disconnect()
    c.loop_stop()
    return m.topic, m.payload, m.retain


def subscribe(c, topic_filter, qos):
    """Subscribes and waits for the SUBACK; returns the granted QoS."""
    c.subscribe(topic_filter, qos=qos)
    return c.subacks.get(timeout=TIMEOUT)[0]


def publish(port, topic, payload, qos=1, retain=False):
    c, _, _ = connect(port, "")
    c.publish(topic, payload, qos=qos, retain=retain).wait_for_publish()
    c.disconnect()
    c.loop_stop()


def test_retained_and_persistent_session_survive_restart(make_trellis):
    first = make_trellis().start()
    port, data, ports = first.mqtt_port, first.data_dir, first.ports

    sub, got, present = connect(port, "keeper", clean=False)
    assert present == 0
    assert subscribe(sub, "plant/#", 1) == 1
    publish(port, "plant/warmup", "w")
    assert got.get(timeout=TIMEOUT).payload == b"w"
    sub.disconnect()
    sub.loop_stop()

    publish(port, "plant/a", "queued-1", qos=1)
    publish(port, "plant/b", "queued-2", qos=2)
    publish(port, "status/line", "running", qos=0, retain=True)
    assert first.stop() == 0

    second = Trellis(data_dir=data, ports=ports).start()
    try:
        sub, got, present = connect(second.mqtt_port, "keeper", clean=False)
        assert present == 1
        payloads = [got.get(timeout=TIMEOUT).payload for _ in range(2)]
        assert payloads == [b"queued-1", b"queued-2"]
        # The restored subscription still routes new messages.
        publish(second.mqtt_port, "plant/c", "after-restart")
        assert got.get(timeout=TIMEOUT).payload == b"after-restart"
        sub.disconnect()
        sub.loop_stop()

        assert first_message(second.mqtt_port, "reader", "status/#") == (
            "status/line", b"running", True)
    finally:
        assert second.stop() == 0
        second.close()


def retained_topics(port, count):
    """The sorted topics of the retained messages a new subscriber to status/#
    gets, waiting for up to `count` of them."""
    reader = raw.RawClient(port)
    reader.connect("reader")
    assert reader.subscribe([("status/#", 0)]) == [0]
    topics = []
    try:
        for _ in range(count):
            topics.append(reader.expect(raw.PUBLISH).topic)
    except TimeoutError:
        pass
    reader.close()
    return sorted(topics)


def test_publish_received_just_before_shutdown_is_kept(make_trellis):
    # A client's last QoS 0 publish can sit unread in the broker's socket when
    # SIGTERM comes; shutdown reads it before closing. Each round races one;
    # without that read, about one round in four lost its message.
    rounds = 10
    first = make_trellis()
    data, ports = first.data_dir, first.ports
    for i in range(rounds):
        broker = first if i == 0 else make_trellis(data_dir=data, ports=ports)
        broker.start()
        client = raw.RawClient(broker.mqtt_port)
        client.connect("last-words")
        client.send(raw.publish(f"status/{i}", b"running", retain=True) + raw.DISCONNECT_BYTES)
        client.close()
        assert broker.stop() == 0

    last = make_trellis(data_dir=data, ports=ports).start()
    assert retained_topics(last.mqtt_port, rounds) == sorted(f"status/{i}" for i in range(rounds))


@pytest.mark.parametrize("transport", ["tls", "ws"])
def test_publish_received_just_before_shutdown_is_kept_over_tls_and_websocket(
        make_trellis, tmp_path, transport):
    # The same race through a TLS or WebSocket layer: shutdown lets the read
    # in flight take what the kernel already holds before it closes.
    certs = raw.make_certs(str(tmp_path))
    settings = {"mqtt.tls.cert": certs["server.pem"], "mqtt.tls.key": certs["server.key"]}
    rounds = 10
    first = make_trellis(settings=settings)
    data, ports = first.data_dir, first.ports
    for i in range(rounds):
        broker = first if i == 0 else make_trellis(settings=settings, data_dir=data, ports=ports)
        broker.start()
        if transport == "tls":
            plain = socket.create_connection(("127.0.0.1", broker.port("mqtt.tls_port")))
            sock = raw.client_tls_context(certs).wrap_socket(plain, server_hostname="127.0.0.1")
        else:
            sock = raw.WsSocket(broker.port("mqtt.ws_port"))
        client = raw.RawClient(sock=sock)
        client.connect("last-words")
        client.send(raw.publish(f"status/{i}", b"running", retain=True) + raw.DISCONNECT_BYTES)
        assert broker.stop() == 0
        client.close()

    last = make_trellis(settings=settings, data_dir=data, ports=ports).start()
    assert retained_topics(last.mqtt_port, rounds) == sorted(f"status/{i}" for i in range(rounds))


def test_mqttsn_publish_received_just_before_shutdown_is_kept(make_trellis):
    # A QoS -1 PUBLISH datagram can sit in the gateway's socket, or in the
    # receive it has in flight, when SIGTERM comes; the gateway handles it
    # before it stops.
    rounds = 10
    topics = {str(i + 1): f"status/sn/{i}" for i in range(rounds)}
    settings = {"mqttsn.predefined_topics": json.dumps(topics)}
    first = make_trellis(settings=settings)
    data, ports = first.data_dir, first.ports
    for i in range(rounds):
        broker = first if i == 0 else make_trellis(settings=settings, data_dir=data, ports=ports)
        broker.start()
        device = sn.Client(sn.gateway_port(broker), "last-datagram")
        device.send(sn.publish(i + 1, b"running", qos=-1, retain=True, id_type=sn.PREDEFINED))
        assert broker.stop() == 0
        device.close()

    last = make_trellis(settings=settings, data_dir=data, ports=ports).start()
    assert retained_topics(last.mqtt_port, rounds) == sorted(topics.values())


def register_by_data(trellis, device_id):
    """Data from an unknown client id registers the device (auto_register on)."""
    client, _, _ = connect(trellis.mqtt_port, device_id)
    client.publish(device_id + "/messages/json", json.dumps({"t": 1}), qos=1).wait_for_publish()
    client.disconnect()
    client.loop_stop()
    trellis.wait_for_log("device registered device=" + device_id)


def test_presence_events_for_a_known_device(trellis):
    port = trellis.mqtt_port
    register_by_data(trellis, "boiler-7")

    watcher, events, _ = connect(port, "watcher")
    subscribe(watcher, "$events/devices/boiler-7/+", 1)
    dev, _, _ = connect(port, "boiler-7")
    m = events.get(timeout=TIMEOUT)
    while not m.topic.endswith("/online"):
        m = events.get(timeout=TIMEOUT)
    body = json.loads(m.payload)
    assert body["device"] == "boiler-7" and body["protocol"] == "mqtt" and body["time"] > 0
    dev.disconnect()
    dev.loop_stop()
    m = events.get(timeout=TIMEOUT)
    while not m.topic.endswith("/offline"):
        m = events.get(timeout=TIMEOUT)
    assert json.loads(m.payload)["device"] == "boiler-7"
    watcher.disconnect()
    watcher.loop_stop()


def next_event(events, suffix):
    m = events.get(timeout=TIMEOUT)
    while not m.topic.endswith(suffix):
        m = events.get(timeout=TIMEOUT)
    return json.loads(m.payload)


def test_a_device_registered_while_its_client_is_connected_is_online_at_once(trellis):
    # An anonymous client whose client id named no device counted for nothing
    # until it reconnected, even after its own data registered the device.
    port = trellis.mqtt_port
    rest = Rest(trellis.http_port)
    watcher, events, _ = connect(port, "watcher")
    subscribe(watcher, "$events/devices/+/+", 1)

    by_data, _, _ = connect(port, "fresh-1")
    by_data.publish("fresh-1/messages/json", json.dumps({"t": 1}), qos=1).wait_for_publish()
    assert next_event(events, "/online")["device"] == "fresh-1"
    # Presence is stored in the background, after the event.
    poll(lambda: rest.get("/api/v1/devices/fresh-1")[1]["online"])

    by_rest, _, _ = connect(port, "fresh-2")
    status, _ = rest.post("/api/v1/devices", {"id": "fresh-2"})
    assert status == 201
    assert next_event(events, "/online")["device"] == "fresh-2"

    for client, device in ((by_data, "fresh-1"), (by_rest, "fresh-2")):
        client.disconnect()
        client.loop_stop()
        assert next_event(events, "/offline")["device"] == device
        poll(lambda: rest.get("/api/v1/devices/" + device)[1]["online"] is False)
    watcher.disconnect()
    watcher.loop_stop()


def test_a_device_taken_over_goes_offline_when_its_last_connection_does(trellis):
    # The connection a takeover closed was never counted off, so the device
    # stayed online for good once its client id had been taken over.
    port = trellis.mqtt_port
    register_by_data(trellis, "boiler-8")

    rest = Rest(trellis.http_port)
    online = lambda: rest.get("/api/v1/devices/boiler-8")[1]["online"]
    first = raw.RawClient(port)
    first.connect("boiler-8")
    poll(online)
    second = raw.RawClient(port)
    second.connect("boiler-8")
    assert first.wait_closed()
    # The second connection's connect was counted before it reads DISCONNECT,
    # so whatever order the takeover's two changes took, the end state is offline.
    second.send(raw.packet(0xE0))  # DISCONNECT
    assert second.wait_closed()
    poll(lambda: not online())
    first.close()
    second.close()


def test_saved_topics_past_the_level_limit_are_left_out_on_restart(make_trellis):
    """A database written before topics were limited to 200 levels may hold
    deeper ones; walked as deep as they go they overflowed the stack, so the
    restart leaves them out, says so, and keeps the rest."""
    import os
    import sqlite3
    first = make_trellis().start()
    data, ports = first.data_dir, first.ports
    publish(first.mqtt_port, "kept/topic", "kept", qos=1, retain=True)
    sub, _, _ = connect(first.mqtt_port, "deep-keeper", clean=False)
    assert subscribe(sub, "live/#", 1) == 1
    sub.disconnect()
    sub.loop_stop()
    assert first.stop() == 0

    deep = "/" * 60000
    db = sqlite3.connect(os.path.join(data, "trellis.db"))
    with db:
        db.execute("INSERT INTO retained(topic, payload, qos, time_ms) VALUES (?, ?, 0, 1)",
                   (deep, b"deep"))
        db.execute("INSERT INTO session_subscriptions(client_id, filter, qos) VALUES (?, ?, 0)",
                   ("deep-keeper", deep))
    db.close()

    second = make_trellis(data_dir=data, ports=ports).start()
    second.wait_for_log("saved topics no longer valid left out retained=1 subscriptions=1")
    assert first_message(second.mqtt_port, "reader", "#") == ("kept/topic", b"kept", True)
    keeper, got, present = connect(second.mqtt_port, "deep-keeper", clean=False)
    assert present == 1
    publish(second.mqtt_port, "live/x", "live")
    assert got.get(timeout=TIMEOUT).payload == b"live"
    keeper.disconnect()
    keeper.loop_stop()
    assert second.stop() == 0


def session_present(connack):
    return connack.body[0] & 1 == 1


def test_inbound_qos2_not_released_is_not_delivered_twice_after_restart(make_trellis):
    # The publisher's QoS 2 packet id held between PUBREC and PUBREL is session
    # state (3.1.2.4): its resent PUBLISH after the restart is acknowledged,
    # not delivered again ([MQTT-4.3.3-2]).
    first = make_trellis().start()
    data, ports = first.data_dir, first.ports
    watcher = raw.RawClient(first.mqtt_port)
    watcher.connect("q2-watcher")
    assert watcher.subscribe([("q2/#", 0)]) == [0]
    pub = raw.RawClient(first.mqtt_port)
    pub.connect("q2-publisher", clean=False)
    pub.send(raw.publish("q2/in", b"once", qos=2, packet_id=5))
    assert pub.expect(raw.PUBREC).packet_id == 5
    assert watcher.expect(raw.PUBLISH).payload == b"once"
    assert first.stop() == 0
    pub.close()
    watcher.close()

    second = make_trellis(data_dir=data, ports=ports).start()
    watcher = raw.RawClient(second.mqtt_port)
    watcher.connect("q2-watcher")
    assert watcher.subscribe([("q2/#", 0)]) == [0]
    pub = raw.RawClient(second.mqtt_port)
    assert session_present(pub.connect("q2-publisher", clean=False))
    pub.send(raw.publish("q2/in", b"once", qos=2, packet_id=5, dup=True))
    assert pub.expect(raw.PUBREC).packet_id == 5
    pub.send(raw.ack(raw.PUBREL, 5))
    assert pub.expect(raw.PUBCOMP).packet_id == 5
    # A later message from the same publisher comes first: the resend was not
    # delivered. With the id released, 5 is a new message again.
    pub.send(raw.publish("q2/marker", b"after", qos=1, packet_id=6))
    assert pub.expect(raw.PUBACK).packet_id == 6
    pub.send(raw.publish("q2/in", b"new", qos=2, packet_id=5))
    assert pub.expect(raw.PUBREC).packet_id == 5
    got = [watcher.expect(raw.PUBLISH) for _ in range(2)]
    assert [(p.topic, p.payload) for p in got] == [("q2/marker", b"after"), ("q2/in", b"new")]
    pub.close()
    watcher.close()
    assert second.stop() == 0


def raw_publish(client, topic, payload, qos, packet_id):
    """Publishes at QoS 1 or 2 and waits for the whole acknowledgement flow."""
    client.send(raw.publish(topic, payload, qos=qos, packet_id=packet_id))
    if qos == 1:
        assert client.expect(raw.PUBACK).packet_id == packet_id
        return
    assert client.expect(raw.PUBREC).packet_id == packet_id
    client.send(raw.ack(raw.PUBREL, packet_id))
    assert client.expect(raw.PUBCOMP).packet_id == packet_id


def test_outgoing_in_flight_is_resent_with_its_packet_ids_after_restart(make_trellis):
    # Unacknowledged QoS 1/2 deliveries keep their packet ids across a restart
    # and are resent with DUP set, in order; a QoS 2 delivery whose PUBREC came
    # is resent as PUBREL ([MQTT-4.4.0-1], [MQTT-3.3.1-1]).
    first = make_trellis().start()
    data, ports = first.data_dir, first.ports
    sub = raw.RawClient(first.mqtt_port)
    sub.connect("inflight-sub", clean=False)
    assert sub.subscribe([("out/#", 2)]) == [2]
    pub = raw.RawClient(first.mqtt_port)
    pub.connect("inflight-pub")
    raw_publish(pub, "out/1", b"one", 1, 1)
    raw_publish(pub, "out/2", b"two", 2, 2)
    raw_publish(pub, "out/3", b"three", 2, 3)
    pub.close()
    sent = [sub.expect(raw.PUBLISH) for _ in range(3)]
    assert [(p.payload, p.qos, p.dup) for p in sent] == [
        (b"one", 1, False), (b"two", 2, False), (b"three", 2, False)]
    ids = [p.packet_id for p in sent]
    assert len(set(ids)) == 3
    # No PUBACK for the first, no PUBREC for the second; the third gets its
    # PUBREC but no PUBCOMP.
    sub.send(raw.ack(raw.PUBREC, ids[2]))
    assert sub.expect(raw.PUBREL).packet_id == ids[2]
    assert first.stop() == 0
    sub.close()

    second = make_trellis(data_dir=data, ports=ports).start()
    sub = raw.RawClient(second.mqtt_port)
    assert session_present(sub.connect("inflight-sub", clean=False))
    for topic, payload, qos, packet_id in [("out/1", b"one", 1, ids[0]),
                                           ("out/2", b"two", 2, ids[1])]:
        p = sub.expect(raw.PUBLISH)
        assert (p.topic, p.payload, p.qos, p.dup, p.packet_id) == (
            topic, payload, qos, True, packet_id)
    assert sub.expect(raw.PUBREL).packet_id == ids[2]

    # A new delivery while those are still unacknowledged takes a fresh id.
    pub = raw.RawClient(second.mqtt_port)
    pub.connect("inflight-pub")
    raw_publish(pub, "out/4", b"four", 1, 1)
    fresh = sub.expect(raw.PUBLISH)
    assert (fresh.payload, fresh.dup) == (b"four", False)
    assert fresh.packet_id not in ids

    # The restored flows finish as live ones do, and nothing else was pending.
    sub.send(raw.ack(raw.PUBACK, ids[0]))
    sub.send(raw.ack(raw.PUBREC, ids[1]))
    assert sub.expect(raw.PUBREL).packet_id == ids[1]
    sub.send(raw.ack(raw.PUBCOMP, ids[1]) + raw.ack(raw.PUBCOMP, ids[2]) +
             raw.ack(raw.PUBACK, fresh.packet_id))
    raw_publish(pub, "out/5", b"five", 1, 2)
    last = sub.expect(raw.PUBLISH)
    assert (last.payload, last.dup) == (b"five", False)
    sub.send(raw.ack(raw.PUBACK, last.packet_id))
    sub.ping()
    pub.close()
    sub.close()
    assert second.stop() == 0


def test_sessions_saved_by_autosave_survive_a_kill(make_trellis):
    """Persistent sessions are saved every mqtt.autosave_interval, so a process
    killed without a shutdown still has what the last save held."""
    import os
    import sqlite3
    first = make_trellis(settings={"mqtt.autosave_interval": 1}).start()
    data, ports = first.data_dir, first.ports
    sub, _, _ = connect(first.mqtt_port, "autosaved", clean=False)
    assert subscribe(sub, "meter/#", 1) == 1
    sub.disconnect()
    sub.loop_stop()
    publish(first.mqtt_port, "meter/1", "queued", qos=1)

    def saved():
        db = sqlite3.connect(f"file:{os.path.join(data, 'trellis.db')}?mode=ro", uri=True)
        try:
            return db.execute("SELECT topic, payload FROM session_messages "
                              "WHERE client_id = 'autosaved'").fetchall()
        finally:
            db.close()

    assert poll(saved, timeout=TIMEOUT) == [("meter/1", b"queued")]
    first.proc.kill()
    first.proc.wait()
    first.proc = None

    second = make_trellis(data_dir=data, ports=ports).start()
    sub, got, present = connect(second.mqtt_port, "autosaved", clean=False)
    assert present == 1
    m = got.get(timeout=TIMEOUT)
    assert (m.topic, m.payload, m.qos) == ("meter/1", b"queued", 1)
    sub.disconnect()
    sub.loop_stop()
    assert second.stop() == 0
