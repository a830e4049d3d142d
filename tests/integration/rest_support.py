"""A small REST client for the integration tests (http.client, keep-alive)
and paho helpers for devices that authenticate with registry credentials."""

import http.client
import json
import queue
import time

import paho.mqtt.client as paho

WAIT = 10


class Rest:
    def __init__(self, port, key=None):
        self.port = port
        self.key = key
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)

    def request(self, method, path, body=None, raw=None, headers=None, key=None):
        h = dict(headers or {})
        k = key if key is not None else self.key
        if k:
            h["Authorization"] = "Bearer " + k
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        try:
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):
            # The server closed a kept-alive connection: open a new one once.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
        text = r.read()
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        ctype = r.getheader("Content-Type", "")
        parsed = json.loads(text) if text and ctype.startswith("application/json") else text
        return r.status, parsed

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def close(self):
        self.conn.close()


def metric(rest, name):
    """The value of one figure (its first series) on GET /metrics."""
    status, text = rest.get("/metrics")
    assert status == 200
    for line in text.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def poll(fn, timeout=WAIT, interval=0.05):
    """Calls fn until it returns something truthy; returns it (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        time.sleep(interval)


class Device:
    """A paho client that queues messages and its CONNACK code."""

    def __init__(self, port, client_id, username=None, password=None, clean=True):
        self.messages = queue.Queue()
        self.connack = queue.Queue()
        self.client = paho.Client(client_id=client_id, clean_session=clean)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        self.client.on_connect = lambda c, u, f, rc: self.connack.put(rc)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.rc = self.connack.get(timeout=WAIT)

    def subscribe(self, topic, qos=1):
        done = queue.Queue()
        self.client.on_subscribe = lambda c, u, mid, granted: done.put(granted)
        self.client.subscribe(topic, qos)
        return done.get(timeout=WAIT)

    def publish(self, topic, payload, qos=1):
        self.client.publish(topic, payload, qos=qos).wait_for_publish()

    def get(self, timeout=WAIT):
        return self.messages.get(timeout=timeout)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
