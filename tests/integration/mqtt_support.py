"""Clients for the MQTT integration tests: a raw MQTT 3.1.1 client on a plain
socket (for malformed input and exact packet flows), a raw WebSocket framing
layer, a thin wrapper over paho-mqtt that queues what arrives, and helpers
for the command-line clients and test certificates.

Everything waits on events (a packet, a message, a socket close) with a
deadline; nothing sleeps a fixed time."""

import base64
import os
import queue
import socket
import ssl
import struct
import subprocess
import threading
import time

import paho.mqtt.client as paho

HOST = "127.0.0.1"
WAIT = 10  # seconds: the longest any single expected event may take

# Control packet types (2.2.1).
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 10, 11, 12, 13, 14


# ---------------------------------------------------------------- encoding

def remaining_length(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            b |= 0x80
        out.append(b)
        if not n:
            return bytes(out)


def mqtt_string(s):
    if isinstance(s, str):
        s = s.encode("utf-8")
    return struct.pack("!H", len(s)) + s


def packet(first_byte, body=b""):
    return bytes([first_byte]) + remaining_length(len(body)) + body


def connect(client_id="", clean=True, keepalive=0, will=None, username=None, password=None,
            protocol=("MQTT", 4)):
    """will: (topic, payload, qos, retain)."""
    name, level = protocol
    flags = 0x02 if clean else 0
    payload = mqtt_string(client_id)
    if will:
        topic, msg, qos, retain = will
        flags |= 0x04 | (qos << 3) | (0x20 if retain else 0)
        payload += mqtt_string(topic) + mqtt_string(msg)
    if username is not None:
        flags |= 0x80
        payload += mqtt_string(username)
    if password is not None:
        flags |= 0x40
        payload += mqtt_string(password)
    body = mqtt_string(name) + bytes([level, flags]) + struct.pack("!H", keepalive) + payload
    return packet(0x10, body)


def publish(topic, payload=b"", qos=0, retain=False, dup=False, packet_id=None):
    if isinstance(payload, str):
        payload = payload.encode()
    first = 0x30 | (qos << 1) | (0x08 if dup else 0) | (0x01 if retain else 0)
    body = mqtt_string(topic)
    if qos:
        body += struct.pack("!H", packet_id if packet_id is not None else 1)
    return packet(first, body + payload)


def subscribe(packet_id, filters):
    """filters: [(filter, qos)]."""
    body = struct.pack("!H", packet_id)
    for f, q in filters:
        body += mqtt_string(f) + bytes([q])
    return packet(0x82, body)


def unsubscribe(packet_id, filters):
    return packet(0xA2, struct.pack("!H", packet_id) + b"".join(mqtt_string(f) for f in filters))


def ack(kind, packet_id):
    first = {PUBACK: 0x40, PUBREC: 0x50, PUBREL: 0x62, PUBCOMP: 0x70}[kind]
    return packet(first, struct.pack("!H", packet_id))


PINGREQ_BYTES = b"\xc0\x00"
DISCONNECT_BYTES = b"\xe0\x00"


# ---------------------------------------------------------------- decoding

class Packet:
    def __init__(self, first, body):
        self.type = first >> 4
        self.flags = first & 0x0F
        self.body = body

    @property
    def qos(self):
        return (self.flags >> 1) & 3

    @property
    def dup(self):
        return bool(self.flags & 0x08)

    @property
    def retain(self):
        return bool(self.flags & 0x01)

    @property
    def packet_id(self):
        if self.type == PUBLISH:
            n = struct.unpack("!H", self.body[:2])[0]
            return struct.unpack("!H", self.body[2 + n:4 + n])[0] if self.qos else None
        return struct.unpack("!H", self.body[:2])[0]

    @property
    def topic(self):
        n = struct.unpack("!H", self.body[:2])[0]
        return self.body[2:2 + n].decode("utf-8")

    @property
    def payload(self):
        n = struct.unpack("!H", self.body[:2])[0]
        return self.body[2 + n + (2 if self.qos else 0):]

    def __repr__(self):
        return f"Packet(type={self.type}, flags={self.flags:#x}, body={self.body[:40]!r})"


class StreamParser:
    """Splits a byte stream into MQTT packets."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data

    def next(self):
        if len(self.buf) < 2:
            return None
        mult, value, i = 1, 0, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            value += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        if len(self.buf) < i + value:
            return None
        p = Packet(self.buf[0], self.buf[i:i + value])
        self.buf = self.buf[i + value:]
        return p


# ---------------------------------------------------------------- raw client

class Closed(Exception):
    """The server closed the connection."""


class RawClient:
    """One MQTT connection on a bare socket. `sock` may be a TLS socket."""

    def __init__(self, port=None, sock=None, timeout=WAIT):
        self.sock = sock or socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.parser = StreamParser()
        self.timeout = timeout

    def send(self, data):
        self.sock.sendall(data)

    def _recv_bytes(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no packet from the server in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no packet from the server in time")
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            raise Closed()
        if not data:
            raise Closed()
        return data

    def recv(self, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            p = self.parser.next()
            if p is not None:
                return p
            self.parser.feed(self._recv_bytes(deadline))

    def expect(self, kind, timeout=None):
        p = self.recv(timeout)
        assert p.type == kind, f"expected packet type {kind}, got {p!r}"
        return p

    def connect(self, client_id="raw", expect_code=0, **kwargs):
        self.send(connect(client_id, **kwargs))
        ack_packet = self.expect(CONNACK)
        assert ack_packet.body[1] == expect_code, f"CONNACK code {ack_packet.body[1]}"
        return ack_packet

    def subscribe(self, filters, packet_id=1):
        self.send(subscribe(packet_id, filters))
        p = self.expect(SUBACK)
        assert p.packet_id == packet_id
        return list(p.body[2:])

    def wait_closed(self, timeout=None):
        """Reads (and drops) whatever comes until the server closes; True when it did."""
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while True:
                self._recv_bytes(deadline)
        except Closed:
            return True
        except TimeoutError:
            return False

    def ping(self, timeout=None):
        self.send(PINGREQ_BYTES)
        self.expect(PINGRESP, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Closes with a TCP reset, as a crashed device would."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()


# ---------------------------------------------------------------- raw WebSocket

class WsSocket:
    """A client WebSocket (RFC 6455) carrying MQTT, with control over framing:
    send_frames() writes the given chunks as one message of several frames."""

    def __init__(self, port, path="/mqtt", protocol="mqtt", timeout=WAIT):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   f"Sec-WebSocket-Version: 13\r\n")
        if protocol:
            request += f"Sec-WebSocket-Protocol: {protocol}\r\n"
        self.sock.sendall((request + "\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Closed()
            head += chunk
        head, self.pending = head.split(b"\r\n\r\n", 1)
        self.response = head.decode("latin-1")
        self.close_code = None  # set when the server sends a close frame
        self.status = int(self.response.split()[1])

    @staticmethod
    def frame(opcode, data, fin=True):
        mask = os.urandom(4)
        n = len(data)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return head + mask + masked

    def send_frames(self, chunks):
        """One binary message made of len(chunks) frames."""
        out = b""
        for i, chunk in enumerate(chunks):
            opcode = 0x2 if i == 0 else 0x0
            out += self.frame(opcode, chunk, fin=(i == len(chunks) - 1))
        self.sock.sendall(out)

    def sendall(self, data):
        self.send_frames([data])

    def setsockopt(self, *args):
        self.sock.setsockopt(*args)

    def settimeout(self, t):
        self.sock.settimeout(t)

    def _read_exact(self, n):
        while len(self.pending) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed()
            self.pending += chunk
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def recv(self, _n):
        """The payload of the next data frame (b"" once the server closed)."""
        while True:
            try:
                b0, b1 = self._read_exact(2)
            except Closed:
                return b""
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read_exact(8))[0]
            assert not b1 & 0x80, "server frames must not be masked"
            data = self._read_exact(n)
            opcode = b0 & 0x0F
            if opcode in (0x0, 0x1, 0x2):
                return data
            if opcode == 0x8:  # close: answer it, as RFC 6455 5.5.1 asks
                self.close_code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
                try:
                    self.sock.sendall(self.frame(0x8, data[:2]))
                except OSError:
                    pass
                return b""
            if opcode == 0x9:  # ping: answer with pong
                self.sock.sendall(self.frame(0xA, data))

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- paho

class Client:
    """A paho-mqtt client whose messages land in a queue. Connects at once and
    fails the test if the CONNACK is not 0. Does not reconnect by itself."""

    def __init__(self, port, client_id="", clean=True, keepalive=60, protocol=paho.MQTTv311,
                 will=None, tls=None, transport="tcp", ws_path="/mqtt", expect_rc=0):
        self.client = paho.Client(client_id=client_id, clean_session=clean, protocol=protocol,
                                  transport=transport)
        if transport == "websockets":
            self.client.ws_set_options(path=ws_path)
        if tls:
            self.client.tls_set_context(tls)
        if will:
            topic, payload, qos, retain = will
            self.client.will_set(topic, payload, qos, retain)
        self.messages = queue.Queue()
        self.connacks = queue.Queue()
        self.disconnects = queue.Queue()
        self._subacks = {}
        self._cond = threading.Condition()
        self.client.on_connect = lambda c, u, flags, rc: self.connacks.put((flags, rc))
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        self.client.on_disconnect = lambda c, u, rc: self.disconnects.put(rc)
        self.client.on_subscribe = self._on_subscribe
        self.client.on_unsubscribe = self._on_unsubscribe
        self.client.connect(HOST, port, keepalive)
        self.client.loop_start()
        flags, rc = self.connacks.get(timeout=WAIT)
        assert rc == expect_rc, f"CONNACK {rc}"
        self.session_present = bool(flags.get("session present"))
        if rc != 0:
            self.client.loop_stop()

    def _on_subscribe(self, c, u, mid, granted):
        with self._cond:
            self._subacks[mid] = granted
            self._cond.notify_all()

    def _on_unsubscribe(self, c, u, mid):
        with self._cond:
            self._subacks[mid] = None
            self._cond.notify_all()

    def unsubscribe(self, topic):
        rc, mid = self.client.unsubscribe(topic)
        assert rc == paho.MQTT_ERR_SUCCESS
        with self._cond:
            assert self._cond.wait_for(lambda: mid in self._subacks, WAIT), "no UNSUBACK"
            self._subacks.pop(mid)

    def subscribe(self, topic, qos=0):
        """topic: a filter or a list of (filter, qos). Returns the granted QoS list."""
        rc, mid = self.client.subscribe(topic, qos)
        assert rc == paho.MQTT_ERR_SUCCESS
        with self._cond:
            assert self._cond.wait_for(lambda: mid in self._subacks, WAIT), "no SUBACK"
            return list(self._subacks.pop(mid))

    def publish(self, topic, payload, qos=0, retain=False):
        info = self.client.publish(topic, payload, qos, retain)
        info.wait_for_publish(WAIT)
        assert info.is_published(), f"publish to {topic} not acknowledged"

    def get(self, timeout=WAIT):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message within {timeout}s") from None

    def get_until(self, topic, timeout=WAIT):
        """Messages up to and including the first one on `topic`."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            m = self.get(max(0.01, deadline - time.monotonic()))
            out.append(m)
            if m.topic == topic:
                return out

    def disconnect(self):
        self.client.disconnect()
        self.client.loop_stop()

    def stop_network(self):
        """Stops the loop without DISCONNECT (the socket stays open until closed)."""
        self.client.loop_stop()


def marker(publisher, subscriber, topic="marker/end", qos=2):
    """Publishes a marker and returns everything `subscriber` got before it.
    Messages from one publisher reach a subscriber in order, so once the marker
    is in, nothing published earlier can still be on its way. paho hands QoS 2
    messages over at PUBREL: a subscriber that may get QoS 2 messages should
    get the marker at QoS 2 too."""
    publisher.publish(topic, b"end", qos)
    return [m for m in subscriber.get_until(topic) if m.topic != topic]


# ---------------------------------------------------------------- CLI clients

def run(cmd, timeout=WAIT * 3, check=True):
    r = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"{cmd[0]} exited {r.returncode}: {r.stderr.decode(errors='replace')}"
    return r


# ---------------------------------------------------------------- certificates

def make_certs(folder):
    """A CA, a server certificate for 127.0.0.1/localhost and a client
    certificate, all signed by the CA. Returns a dict of file paths."""
    os.makedirs(folder, exist_ok=True)
    p = {k: os.path.join(folder, k) for k in (
        "ca.key", "ca.pem", "server.key", "server.csr", "server.pem", "client.key", "client.csr",
        "client.pem", "ext.cnf")}

    def openssl(*args):
        run(["openssl", *args])

    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", p["ca.key"], "-out", p["ca.pem"], "-days", "2", "-subj", "/CN=Trellis Test CA")
    with open(p["ext.cnf"], "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for who in ("server", "client"):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", p[f"{who}.key"], "-out", p[f"{who}.csr"], "-subj", f"/CN=trellis-{who}")
        extra = ["-extfile", p["ext.cnf"]] if who == "server" else []
        openssl("x509", "-req", "-in", p[f"{who}.csr"], "-CA", p["ca.pem"], "-CAkey", p["ca.key"],
                "-CAcreateserial", "-out", p[f"{who}.pem"], "-days", "2", *extra)
    return p


def client_tls_context(certs, with_client_cert=False):
    ctx = ssl.create_default_context(cafile=certs["ca.pem"])
    if with_client_cert:
        ctx.load_cert_chain(certs["client.pem"], certs["client.key"])
    return ctx
