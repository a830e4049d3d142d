"""The REST API over loopback: devices registered over HTTP send telemetry
over MQTT with their credentials; queries, aggregates, bad input, API keys,
the OpenAPI document and a restart."""

import json
import socket
import time

from rest_support import Device, Rest, poll

API = "/api/v1"


def register(rest, device_id, password="s3cret"):
    status, body = rest.post(API + "/devices", {
        "id": device_id, "name": device_id.title(), "type": "sensor",
        "attributes": {"site": "north"},
        "credentials": {"mqtt": {"username": device_id, "password": password}}})
    assert status == 201, body
    return body


def test_health_and_metrics(trellis):
    rest = Rest(trellis.http_port)
    assert rest.get(API + "/health") == (200, {"status": "ok", "version": rest.get(API + "/health")[1]["version"]})
    status, text = rest.get("/metrics")
    assert status == 200 and b"# TYPE" in text
    assert rest.get(API + "/metrics")[0] == 200


def test_register_connect_publish_and_query(make_trellis):
    t = make_trellis(settings={"mqtt.allow_anonymous": False}).start()
    try:
        rest = Rest(t.http_port)
        created = register(rest, "boiler-1")
        assert created["credentials"]["mqtt"]["has_password"] is True
        assert "s3cret" not in json.dumps(created)

        wrong = Device(t.mqtt_port, "boiler-1", "boiler-1", "nope")
        assert wrong.rc in (4, 5)
        wrong.close()

        dev = Device(t.mqtt_port, "boiler-1", "boiler-1", "s3cret")
        assert dev.rc == 0
        # The three payload forms of DESIGN.md.
        dev.publish("boiler-1/messages/json", json.dumps({"temperature": 23.5, "state": "on"}))
        dev.publish("boiler-1/messages/json", json.dumps({
            "1000000000000": {"temperature": 10, "pressure": 1.0},
            "1000000060000": {"temperature": 20, "pressure": 2.0}}))
        dev.publish("boiler-1/messages/json", json.dumps([{
            "pressure": [{"timestamp": 1000000120000, "value": 3.0},
                         {"timestamp": 1000000180000, "value": 4.0}]}]))

        def points(query):
            s, b = rest.get(API + "/devices/boiler-1/telemetry?" + query)
            assert s == 200, b
            return b

        poll(lambda: len(points("keys=pressure")["items"]) == 4)
        all_points = poll(lambda: (lambda b: b if len(b["items"]) == 8 else None)(points("limit=1000")))
        assert {p["key"] for p in all_points["items"]} == {"temperature", "state", "pressure"}
        # The storage figures on /metrics agree.
        _, text = rest.get("/metrics")
        assert b"\ntrellis_telemetry_points_stored_total 8\n" in text, text
        assert b"\ntrellis_telemetry_points_dropped_total 0\n" in text, text
        assert b"\ntrellis_db_write_queue_points 0\n" in text, text

        ranged = points("keys=pressure&from=1000000060000&to=1000000120000")
        assert [p["value"] for p in ranged["items"]] == [2.0, 3.0]

        # limit / order / cursor
        first = points("keys=pressure&limit=3&order=desc")
        assert [p["value"] for p in first["items"]] == [4.0, 3.0, 2.0]
        assert first["next_cursor"]
        rest_page = points("keys=pressure&limit=3&order=desc&cursor=" + first["next_cursor"])
        assert [p["value"] for p in rest_page["items"]] == [1.0]
        assert rest_page["next_cursor"] is None

        agg = points("keys=pressure&agg=avg&interval=2m")
        buckets = agg["items"][0]["buckets"]
        assert [b["value"] for b in buckets] == [1.5, 3.5]
        counts = points("keys=pressure&agg=count&interval=1h")["items"][0]["buckets"]
        assert sum(b["value"] for b in counts) == 4
        assert points("keys=pressure&agg=max&interval=3600000")["items"][0]["buckets"][0]["value"] == 4.0

        s, latest = rest.get(API + "/devices/boiler-1/telemetry/latest")
        assert s == 200
        by_key = {p["key"]: p["value"] for p in latest["items"]}
        assert by_key["pressure"] == 4.0 and by_key["state"] == "on" and by_key["temperature"] == 23.5
        dev.close()
    finally:
        t.close()


def test_bad_input_gets_json_errors(make_trellis):
    t = make_trellis(settings={"http.max_body_size": 4096}).start()
    try:
        rest = Rest(t.http_port)
        s, b = rest.request("POST", API + "/devices", raw=b'{"id": ', headers={"Content-Type": "application/json"})
        assert s == 400 and b["error"]["code"] == "bad_json"
        s, b = rest.post(API + "/devices", {"id": 42})
        assert s == 400 and "id" in b["error"]["message"]
        s, b = rest.get(API + "/devices/ghost")
        assert s == 404 and b["error"]["code"] == "not_found" and "ghost" in b["error"]["message"]
        s, b = rest.get(API + "/devices/ghost/telemetry")
        assert s == 404
        s, b = rest.get(API + "/nothing/here")
        assert s == 404 and b["error"]["code"] == "not_found"
        s, b = rest.request("PUT", API + "/devices")
        assert s == 405 and b["error"]["code"] == "method_not_allowed"
        register(rest, "d1")
        s, b = rest.get(API + "/devices/d1/telemetry?limit=abc")
        assert s == 400 and "limit" in b["error"]["message"]
        s, b = rest.get(API + "/devices/d1/telemetry?agg=avg&interval=7w")
        assert s == 400 and "interval" in b["error"]["message"]
        s, b = rest.post(API + "/publish", {"topic": "a/#", "payload": "x"})
        assert s == 400 and "topic" in b["error"]["message"]
        s, b = rest.post(API + "/publish", {"topic": "a", "qos": "1"})
        assert s == 400 and "qos" in b["error"]["message"]
        s, b = rest.post(API + "/devices/d1/commands", {"command": {"params": {}}})
        assert s == 400 and "command.id" in b["error"]["message"]
        # Nested past the limit (copying it would recurse that deep) or a number
        # past a double: bad JSON, not a crash or a 500.
        s, b = rest.request("POST", API + "/devices", raw=b"[" * 2000 + b"]" * 2000,
                            headers={"Content-Type": "application/json"})
        assert s == 400 and "deeper than 32" in b["error"]["message"], b
        s, b = rest.request("POST", API + "/devices", raw=b'{"id": "n", "attributes": {"a": 1e400}}',
                            headers={"Content-Type": "application/json"})
        assert s == 400 and b["error"]["code"] == "bad_json", b
        # Bytes that are not UTF-8 in the target, quoted back in the error.
        for target in (b"/\xff", b"/api/v1/devices/%ff", b"/api/v1/devices?limit=%ff\xfe"):
            with socket.create_connection(("127.0.0.1", t.http_port), timeout=10) as sock:
                sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.split()[1] in (b"400", b"404"), (target, answer)
            assert "error" in json.loads(body), (target, answer)
        s, b = rest.post(API + "/devices", {"id": "x" * 10, "padding": "y" * 10000})
        assert s == 413 and b["error"]["code"] == "payload_too_large"
        # A fresh connection still works after the 413 closed the old one.
        assert Rest(t.http_port).get(API + "/health")[0] == 200
    finally:
        t.close()


def test_keep_alive_serves_many_requests_on_one_connection(trellis):
    sock = socket.create_connection(("127.0.0.1", trellis.http_port), timeout=10)
    req = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    sock.sendall(req * 3)
    data = b""
    deadline = time.monotonic() + 10
    while data.count(b"HTTP/1.1 200") < 3 and time.monotonic() < deadline:
        data += sock.recv(65536)
    assert data.count(b"HTTP/1.1 200") == 3
    sock.close()


def test_api_key_required_when_configured(make_trellis):
    t = make_trellis(settings={"http.api_keys": "[\"k-123\"]"}).start()
    try:
        rest = Rest(t.http_port)
        s, b = rest.get(API + "/devices")
        assert s == 401 and b["error"]["code"] == "unauthorized"
        assert rest.get(API + "/devices", key="wrong")[0] == 401
        assert rest.get(API + "/devices", key="k-123")[0] == 200
        # An application's API key is accepted too.
        s, app = rest.post(API + "/applications", {"name": "dash", "api_key": True}, key="k-123")
        assert s == 201, app
        assert rest.get(API + "/devices", key=app["api_key"])[0] == 200
        assert rest.get(API + "/health")[0] == 200
    finally:
        t.close()


def test_openapi_documents_what_is_served(trellis):
    rest = Rest(trellis.http_port)
    s, doc = rest.get(API + "/openapi.json")
    assert s == 200 and doc["openapi"].startswith("3.")
    seen = 0
    for path, methods in doc["paths"].items():
        concrete = path.replace("{id}", "doc-probe").replace("{uid}", "u1").replace(
            "{clientid}", "c1").replace("{name}", "n1")
        for method in methods:
            body = None if method in ("get", "delete") else {}
            status, _ = rest.request(method.upper(), concrete, body=body)
            assert status not in (404, 405) or _is_resource_404(_), (method, path, status, _)
            seen += 1
    assert seen >= 20
    # Everything served is documented: a route missing from the document
    # would answer here but not be listed.
    for method, path in [("GET", "/api/v1/devices"), ("POST", "/api/v1/publish"),
                         ("GET", "/api/v1/clients"), ("GET", "/api/v1/objects")]:
        assert method.lower() in doc["paths"][path]


def _is_resource_404(body):
    # A 404 naming a missing device / client / object is the route answering;
    # only "no route" would mean the document lists something not served.
    return isinstance(body, dict) and "no route" not in body["error"]["message"]


def test_publish_and_clients(trellis):
    rest = Rest(trellis.http_port)
    sub = Device(trellis.mqtt_port, "watcher")
    sub.subscribe("plant/#")
    s, b = rest.post(API + "/publish", {"topic": "plant/a", "payload": "aGVsbG8=", "encoding": "base64", "qos": 1})
    assert s == 200 and b["delivered"] == 1
    assert sub.get().payload == b"hello"
    s, b = rest.get(API + "/clients")
    assert s == 200 and any(c["client_id"] == "watcher" and c["protocol"] == "mqtt"
                            and c["state"] == "connected" for c in b["items"])
    assert rest.request("DELETE", API + "/clients/watcher")[0] == 204
    poll(lambda: not any(c["client_id"] == "watcher" for c in rest.get(API + "/clients")[1]["items"]))
    assert rest.request("DELETE", API + "/clients/watcher")[0] == 404
    sub.client.loop_stop()


def test_deleting_a_device_ends_its_connections(trellis):
    # Left connected, the device's next message registered it again, without
    # its credentials.
    rest = Rest(trellis.http_port)
    register(rest, "gone")
    by_name = Device(trellis.mqtt_port, "some-client", "gone", "s3cret")
    by_id = Device(trellis.mqtt_port, "gone")
    other = Device(trellis.mqtt_port, "bystander")
    clients = lambda: {c["client_id"] for c in rest.get(API + "/clients")[1]["items"]}
    poll(lambda: {"some-client", "gone", "bystander"} <= clients())
    assert rest.request("DELETE", API + "/devices/gone")[0] == 204
    poll(lambda: not ({"some-client", "gone"} & clients()))
    assert "bystander" in clients()
    assert rest.get(API + "/devices/gone")[0] == 404
    for d in (by_name, by_id, other):
        d.client.loop_stop()


def test_restart_keeps_devices_and_telemetry(make_trellis):
    first = make_trellis().start()
    data, ports = first.data_dir, first.ports
    rest = Rest(first.http_port)
    register(rest, "keeper")
    dev = Device(first.mqtt_port, "keeper", "keeper", "s3cret")
    dev.publish("keeper/messages/json", json.dumps({"1500000000000": {"t": 1.5}}))
    poll(lambda: rest.get(API + "/devices/keeper/telemetry")[1]["items"])
    dev.close()
    rest.close()
    assert first.stop() == 0

    second = make_trellis(data_dir=data, ports=ports).start()
    rest = Rest(second.http_port)
    s, d = rest.get(API + "/devices/keeper")
    assert s == 200 and d["name"] == "Keeper"
    s, pts = rest.get(API + "/devices/keeper/telemetry")
    assert [(p["key"], p["ts"], p["value"]) for p in pts["items"]] == [("t", 1500000000000, 1.5)]
    # The device's password still works.
    dev = Device(second.mqtt_port, "keeper", "keeper", "s3cret")
    assert dev.rc == 0
    dev.close()


def test_clients_route_with_only_mqtt_switched_on(make_trellis):
    """Listing and disconnecting clients works when LwM2M and MQTT-SN are off."""
    t = make_trellis(settings={"lwm2m.coap_port": 0, "lwm2m.dtls_port": 0,
                               "mqttsn.port": 0}).start()
    try:
        rest = Rest(t.http_port)
        dev = Device(t.mqtt_port, "solo-1")
        status, body = rest.get(API + "/clients")
        assert status == 200, body
        assert [c["client_id"] for c in body["items"]] == ["solo-1"], body
        assert rest.request("DELETE", API + "/clients/nobody")[0] == 404
        assert rest.request("DELETE", API + "/clients/solo-1")[0] == 204
        dev.close()
    finally:
        t.close()
