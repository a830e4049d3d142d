"""MQTT-SN sleeping clients: DISCONNECT with a duration, messages buffered
(bounded, the overflow counted) and delivered on PINGREQ with the client id
(from any address) before PINGRESP, waking with CONNECT, and the will of a
client that sleeps past its duration (MQTT-SN 1.2 section 6.14)."""

import time

import pytest

import mqtt_support as m
import mqttsn_client as sn


@pytest.fixture
def t(make_trellis):
    return make_trellis(settings={"mqttsn.max_buffered_messages": 3}).start()


def fall_asleep(t, client_id, topic, duration=60, qos=1):
    c = sn.Client(sn.gateway_port(t), client_id)
    c.connect(clean=False)
    c.subscribe(topic, qos=qos)
    assert c.disconnect(duration).type == sn.DISCONNECT  # acknowledged (6.14)
    t.wait_for_log(f"client asleep client={client_id}")
    return c


def test_buffered_messages_are_delivered_on_pingreq_then_pingresp(t):
    pub = m.Client(t.mqtt_port, "sleep-pub")
    watcher = m.Client(t.mqtt_port, "sleep-watcher")
    watcher.subscribe("sn/sleep/#", 1)
    c = fall_asleep(t, "sn-sleeper", "sn/sleep/#")
    pub.publish("sn/sleep/a", b"one", qos=0)
    pub.publish("sn/sleep/b", b"two", qos=1)
    pub.publish("sn/sleep/a", b"three", qos=1)
    # All three routed (so buffered for the sleeper) before it wakes.
    assert [g.payload for g in watcher.get_until("sn/sleep/a")] == [b"one"]
    assert [g.payload for g in watcher.get_until("sn/sleep/a")] == [b"two", b"three"]
    watcher.disconnect()
    # It wakes on another address (a new socket) and names itself.
    awake = sn.Client(sn.gateway_port(t), "sn-sleeper")
    awake.send(sn.pingreq("sn-sleeper"))
    got = [awake.get() for _ in range(3)]
    assert [(g.topic, g.data) for g in got] == [
        ("sn/sleep/a", b"one"), ("sn/sleep/b", b"two"), ("sn/sleep/a", b"three")]
    awake.expect(sn.PINGRESP)  # all delivered: back to sleep
    # A second check finds nothing waiting.
    awake.send(sn.pingreq("sn-sleeper"))
    awake.expect(sn.PINGRESP)
    # Nothing ever went to the address it fell asleep on.
    c.sock.settimeout(0)
    with pytest.raises(BlockingIOError):
        c.sock.recvfrom(2048)
    pub.disconnect()


def test_sleep_buffer_is_bounded_and_the_overflow_counted(t):
    pub = m.Client(t.mqtt_port, "bound-pub")
    c = fall_asleep(t, "sn-bounded", "sn/bound", qos=1)
    for i in range(1, 6):
        pub.publish("sn/bound", b"%d" % i, qos=1)
    # max_buffered_messages = 3: the two oldest go, each drop logged.
    first = t.wait_for_log("buffer full, oldest message dropped client=sn-bounded")
    t.wait_for_log("buffer full, oldest message dropped client=sn-bounded", start=first + 1)
    c.send(sn.pingreq("sn-bounded"))
    got = [c.get().data for _ in range(3)]
    assert got == [b"3", b"4", b"5"]
    c.expect(sn.PINGRESP)
    pub.disconnect()


def test_connect_wakes_a_sleeping_client(t):
    pub = m.Client(t.mqtt_port, "wake-pub")
    c = fall_asleep(t, "sn-waker", "sn/wake", qos=1)
    pub.publish("sn/wake", b"kept for you", qos=1)
    c.connect(clean=False)
    p = c.get()
    assert p.data == b"kept for you"
    # Active again: live messages flow at once.
    pub.publish("sn/wake", b"live", qos=1)
    assert c.get().data == b"live"
    pub.disconnect()


def test_client_that_sleeps_past_its_duration_is_lost_and_its_will_published(t):
    watcher = m.Client(t.mqtt_port, "sleep-watcher")
    watcher.subscribe("sn/sleepwill/#", 1)
    c = sn.Client(sn.gateway_port(t), "sn-overslept")
    c.connect(keepalive=60, will=("sn/sleepwill/sn-overslept", "overslept", 1, False))
    went_to_sleep = time.monotonic()  # before the gateway hears of it
    c.disconnect(1)
    will = watcher.get()
    waited = time.monotonic() - went_to_sleep
    assert (will.topic, will.payload) == ("sn/sleepwill/sn-overslept", b"overslept")
    assert 0.9 < waited < 5, waited
    t.wait_for_log("client lost client=sn-overslept")
    # Lost: a PINGREQ naming it is refused.
    c.send(sn.pingreq("sn-overslept"))
    c.expect(sn.DISCONNECT)
    watcher.disconnect()


def test_pingreq_keeps_a_sleeping_client_from_being_lost(t):
    watcher = m.Client(t.mqtt_port, "alive-watcher")
    watcher.subscribe("sn/alive/#", 1)
    c = sn.Client(sn.gateway_port(t), "sn-alive")
    c.connect(keepalive=60, will=("sn/alive/will", "should not appear", 1, False))
    c.disconnect(2)
    for _ in range(3):  # 3 x 1 s: past 1.5 x 2 s were it not for the PINGREQs
        time.sleep(1)
        c.ping("sn-alive")
    marker = m.Client(t.mqtt_port, "alive-marker")
    marker.publish("sn/alive/marker", b"m", qos=1)
    assert watcher.get().topic == "sn/alive/marker"
    watcher.disconnect()
    marker.disconnect()
