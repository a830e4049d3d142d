"""Tasks to MQTT devices over REST: sent to an online device and acked,
kept pending for an offline one until it connects and for a connected one
until it subscribes, failed by an ERROR ack,
timed out when nobody answers; uploaded object definitions survive a restart."""

import json
import os
import subprocess
import time

import mqtt_support as m
from rest_support import Device, Rest, metric, poll

API = "/api/v1"


def register(rest, device_id):
    s, b = rest.post(API + "/devices", {"id": device_id, "credentials": {
        "mqtt": {"username": device_id, "password": "pw"}}})
    assert s == 201, b


def state(rest, device_id, uid):
    s, b = rest.get(API + "/devices/%s/commands/%s" % (device_id, uid))
    assert s == 200, b
    return b


def test_task_to_online_device_and_ack(trellis):
    rest = Rest(trellis.http_port)
    register(rest, "pump")
    dev = Device(trellis.mqtt_port, "pump", "pump", "pw")
    dev.subscribe("pump/tasks/json")
    poll(lambda: rest.get(API + "/devices/pump")[1]["online"])

    s, cmd = rest.post(API + "/devices/pump/commands", {"command": {"id": "reboot", "params": {"delay": 5}}})
    assert s == 202, cmd
    assert cmd["state"] == "sent"
    task = json.loads(dev.get().payload)
    assert task[0]["uid"] == cmd["id"] and task[0]["command"]["id"] == "reboot"
    assert isinstance(task[0]["timestamp"], int)
    dev.publish("pump/acks/json", json.dumps([{"uid": cmd["id"], "status": "OK"}]))
    poll(lambda: state(rest, "pump", cmd["id"])["state"] == "done")

    s, cmd2 = rest.post(API + "/devices/pump/commands", {"write": [{"threshold": 30}]})
    assert s == 202
    assert json.loads(dev.get().payload)[0]["write"] == [{"threshold": 30}]
    dev.publish("pump/acks/json", json.dumps({"uid": cmd2["id"], "status": "ERROR", "message": "read-only"}))
    final = poll(lambda: (lambda b: b if b["state"] == "failed" else None)(state(rest, "pump", cmd2["id"])))
    assert final["message"] == "read-only"
    dev.close()


def test_pending_task_is_delivered_on_connect(trellis):
    rest = Rest(trellis.http_port)
    register(rest, "valve")
    # The device's persistent session subscribes, then the device goes away.
    dev = Device(trellis.mqtt_port, "valve", "valve", "pw", clean=False)
    dev.subscribe("valve/tasks/json")
    # Seen online first: until the writer records the connect, the device still
    # reads as offline, and a task posted then finds it online and is sent.
    poll(lambda: rest.get(API + "/devices/valve")[1]["online"])
    dev.close()
    poll(lambda: not rest.get(API + "/devices/valve")[1]["online"])
    s, cmd = rest.post(API + "/devices/valve/commands", {"command": {"id": "open"}})
    assert s == 202 and cmd["state"] == "pending"
    # The task goes out when the device comes back online.
    dev = Device(trellis.mqtt_port, "valve", "valve", "pw", clean=False)
    task = json.loads(dev.get().payload)
    assert task[0]["uid"] == cmd["id"]
    poll(lambda: state(rest, "valve", cmd["id"])["state"] == "sent")
    dev.publish("valve/acks/json", json.dumps([{"uid": cmd["id"], "status": "OK"}]))
    poll(lambda: state(rest, "valve", cmd["id"])["state"] == "done")
    dev.close()


def test_pending_task_waits_for_the_clean_session_subscription(trellis):
    # A clean session has no subscription when the device comes online: a task
    # published then reached no one while it was marked sent.
    rest = Rest(trellis.http_port)
    register(rest, "gate")
    # Applications watching every device's tasks are not the device listening.
    watcher = Device(trellis.mqtt_port, "watcher")
    watcher.subscribe("+/tasks/json")
    watcher.subscribe("#")
    s, early = rest.post(API + "/devices/gate/commands", {"command": {"id": "early"}})
    assert s == 202 and early["state"] == "pending"
    dev = Device(trellis.mqtt_port, "gate", "gate", "pw")
    poll(lambda: rest.get(API + "/devices/gate")[1]["online"])
    # Online but not listening: a new task waits too.
    s, late = rest.post(API + "/devices/gate/commands", {"command": {"id": "late"}})
    assert s == 202 and late["state"] == "pending", late
    dev.subscribe("gate/tasks/+")
    got = sorted(json.loads(dev.get().payload)[0]["command"]["id"] for _ in range(2))
    assert got == ["early", "late"]
    for cmd in (early, late):
        poll(lambda: state(rest, "gate", cmd["id"])["state"] == "sent")
        dev.publish("gate/acks/json", json.dumps([{"uid": cmd["id"], "status": "OK"}]))
        poll(lambda: state(rest, "gate", cmd["id"])["state"] == "done")
    # Subscribed now: the next task goes out at once.
    s, now = rest.post(API + "/devices/gate/commands", {"command": {"id": "now"}})
    assert s == 202 and now["state"] == "sent", now
    assert json.loads(dev.get().payload)[0]["uid"] == now["id"]
    watcher.close()
    dev.close()


def test_ack_flood_pauses_the_device_and_every_ack_is_handled(make_trellis, tmp_path):
    # Acks are parsed and looked up one by one: a device flooding its acks
    # topic is paused once 1 MiB of them wait, and its last ack, behind 2,000
    # large unknown ones, lands.
    t = make_trellis(settings={"commands.max_backlog_mb": 1}).start()
    try:
        rest = Rest(t.http_port)
        register(rest, "chatty")
        dev = Device(t.mqtt_port, "chatty", "chatty", "pw")
        dev.subscribe("chatty/tasks/json")
        poll(lambda: rest.get(API + "/devices/chatty")[1]["online"])
        s, cmd = rest.post(API + "/devices/chatty/commands", {"command": {"id": "x"}})
        assert s == 202 and cmd["state"] == "sent", cmd
        dev.close()
        lines = tmp_path / "acks.txt"
        pad = "x" * 20000
        with open(lines, "w") as f:
            for i in range(2000):
                f.write(json.dumps({"uid": f"unknown-{i}", "status": "OK", "message": pad}) + "\n")
            f.write(json.dumps({"uid": cmd["id"], "status": "OK"}) + "\n")
        started = time.monotonic()
        with open(lines, "rb") as stdin:
            subprocess.run(["mosquitto_pub", "-h", m.HOST, "-p", str(t.mqtt_port), "-i", "chatty",
                            "-u", "chatty", "-P", "pw", "-t", "chatty/acks/json", "-l"],
                           stdin=stdin, check=True, timeout=120, capture_output=True)
        poll(lambda: state(rest, "chatty", cmd["id"])["state"] == "done", timeout=120)
        seconds = time.monotonic() - started
        assert metric(rest, "trellis_mqtt_reads_paused_total") >= 1
        # Each ack was handled once, in order: the last one lands after all the
        # others (and is counted a moment after its state is stored).
        assert metric(rest, 'trellis_command_acks_total{result="unknown_task"}') == 2000
        poll(lambda: metric(rest, 'trellis_command_acks_total{result="done"}') == 1)
        assert metric(rest, "trellis_command_tasks_sent_total") == 1
        # The log says so in a few lines a second, not 2,000.
        unknown = [l for l in t.lines if "ack for an unknown task" in l]
        assert 1 <= len(unknown) <= 10 * (int(seconds) + 2), (len(unknown), seconds)
    finally:
        t.close()


def test_an_ack_nested_past_the_limit_is_malformed_and_the_next_one_lands(make_trellis):
    # Copying it into a one-element array once recursed 400,000 levels deep.
    t = make_trellis().start()
    try:
        rest = Rest(t.http_port)
        register(rest, "deep")
        s, cmd = rest.post(API + "/devices/deep/commands", {"command": {"id": "x"}})
        assert s == 202
        dev = Device(t.mqtt_port, "deep", "deep", "pw")
        dev.publish("deep/acks/json", "[" * 400000 + "]" * 400000)
        dev.publish("deep/acks/json", json.dumps({"uid": cmd["id"], "status": "OK"}))
        poll(lambda: state(rest, "deep", cmd["id"])["state"] == "done")
        poll(lambda: metric(rest, 'trellis_command_acks_total{result="malformed"}') == 1)
        dev.close()
    finally:
        t.close()


def test_unanswered_task_times_out(make_trellis):
    t = make_trellis(settings={"commands.timeout_s": 1}).start()
    try:
        rest = Rest(t.http_port)
        register(rest, "mute")
        s, cmd = rest.post(API + "/devices/mute/commands", {"command": {"id": "x"}})
        assert s == 202
        poll(lambda: state(rest, "mute", cmd["id"])["state"] == "timed_out", timeout=10)
    finally:
        t.close()


XML = """<?xml version="1.0" encoding="utf-8"?>
<LWM2M xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Object ObjectType="MODefinition">
    <Name>Trellis Test</Name>
    <Description1>Uploaded in a test</Description1>
    <ObjectID>32769</ObjectID>
    <ObjectURN>urn:oma:lwm2m:x:32769</ObjectURN>
    <MultipleInstances>Single</MultipleInstances>
    <Mandatory>Optional</Mandatory>
    <Resources>
      <Item ID="0">
        <Name>Level</Name>
        <Operations>RW</Operations>
        <MultipleInstances>Single</MultipleInstances>
        <Mandatory>Mandatory</Mandatory>
        <Type>Integer</Type>
        <RangeEnumeration>0..100</RangeEnumeration>
        <Units>%</Units>
        <Description>How full</Description>
      </Item>
    </Resources>
    <Description2></Description2>
  </Object>
</LWM2M>
"""


def test_object_upload_survives_restart(make_trellis):
    first = make_trellis().start()
    data, ports = first.data_dir, first.ports
    rest = Rest(first.http_port)
    s, b = rest.request("POST", API + "/objects", raw=XML.encode(), headers={"Content-Type": "application/xml"})
    assert s == 201, b
    s, o = rest.get(API + "/objects/32769")
    assert s == 200
    r = o["resources"][0]
    assert (r["name"], r["operations"], r["type"], r["range"], r["units"]) == ("Level", "RW", "Integer", "0..100", "%")
    s, b = rest.request("POST", API + "/objects", raw=b"<LWM2M><Object>", headers={"Content-Type": "application/xml"})
    assert s == 400 and b["error"]["code"] == "bad_request"
    # A later upload redefines 32769 and adds 32770; after the restart the
    # later definition must still win, and the superseded file is gone.
    body = XML[:XML.index("  <Object")]
    one = XML[XML.index("  <Object"):XML.index("</LWM2M>")]
    both = body + one.replace("Trellis Test", "Trellis Test v2") + one.replace("32769", "32770") + "</LWM2M>\n"
    s, b = rest.request("POST", API + "/objects", raw=both.encode(), headers={"Content-Type": "application/xml"})
    assert s == 201, b
    assert [o["name"] for o in b["items"]] == ["Trellis Test v2", "Trellis Test"]
    rest.close()
    assert first.stop() == 0
    files = os.listdir(os.path.join(str(data), "objects"))
    assert len(files) == 1 and files[0].endswith("-32769-32770.xml"), files

    second = make_trellis(data_dir=data, ports=ports).start()
    s, o = Rest(second.http_port).get(API + "/objects/32769")
    assert s == 200 and o["name"] == "Trellis Test v2"
    s, o = Rest(second.http_port).get(API + "/objects/32770")
    assert s == 200 and o["name"] == "Trellis Test"
