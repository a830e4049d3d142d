"""An MQTT-SN 1.2 client for the integration tests, on a raw UDP socket.

Written from the specification ("MQTT For Sensor Networks (MQTT-SN) Protocol
Specification Version 1.2"), independently of the gateway's C++ codec, so the
tests check the gateway against the spec and not against itself. It does only
what a test asks: no retransmission, no background thread. Every wait has a
deadline; nothing sleeps a fixed time."""

import socket
import struct
import time

HOST = "127.0.0.1"
WAIT = 10  # seconds: the longest any single expected datagram may take

# MsgType (5.2.2, table 3).
ADVERTISE, SEARCHGW, GWINFO = 0x00, 0x01, 0x02
CONNECT, CONNACK = 0x04, 0x05
WILLTOPICREQ, WILLTOPIC, WILLMSGREQ, WILLMSG = 0x06, 0x07, 0x08, 0x09
REGISTER, REGACK = 0x0A, 0x0B
PUBLISH, PUBACK, PUBCOMP, PUBREC, PUBREL = 0x0C, 0x0D, 0x0E, 0x0F, 0x10
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 0x12, 0x13, 0x14, 0x15
PINGREQ, PINGRESP, DISCONNECT = 0x16, 0x17, 0x18
WILLTOPICUPD, WILLTOPICRESP, WILLMSGUPD, WILLMSGRESP = 0x1A, 0x1B, 0x1C, 0x1D

NAMES = {v: k for k, v in dict(globals()).items() if k.isupper() and isinstance(v, int)
         and k not in ("WAIT",)}

# TopicIdType (5.3.4).
NORMAL, PREDEFINED, SHORT = 0, 1, 2

# ReturnCode (5.3.10).
ACCEPTED, CONGESTION, INVALID_TOPIC_ID, NOT_SUPPORTED = 0, 1, 2, 3

# Flags bits (5.3.4).
DUP, RETAIN, WILL, CLEAN = 0x80, 0x10, 0x08, 0x04


def gateway_port(trellis):
    """The UDP port of a running trellis's MQTT-SN gateway."""
    return trellis.port("mqttsn.port")


def qos_bits(qos):
    return {0: 0x00, 1: 0x20, 2: 0x40, -1: 0x60}[qos]


def flags(qos=0, dup=False, retain=False, will=False, clean=False, id_type=NORMAL):
    return (qos_bits(qos) | (DUP if dup else 0) | (RETAIN if retain else 0) |
            (WILL if will else 0) | (CLEAN if clean else 0) | id_type)


def short_id(name):
    """A two-character short topic name as its TopicId (3.3)."""
    b = name.encode()
    assert len(b) == 2
    return (b[0] << 8) | b[1]


def _b(s):
    return s.encode() if isinstance(s, str) else bytes(s)


# ---------------------------------------------------------------- encoding

def frame(msg_type, body=b""):
    """Length (1 octet, or 0x01 and 2 octets from 256 on) + MsgType + body (5.2.1)."""
    n = len(body) + 2
    if n < 256:
        return bytes([n, msg_type]) + body
    return b"\x01" + struct.pack("!H", n + 2) + bytes([msg_type]) + body


def searchgw(radius=0):
    return frame(SEARCHGW, bytes([radius]))


def connect(client_id, clean=True, keepalive=60, will=False):
    return frame(CONNECT, bytes([flags(will=will, clean=clean), 0x01]) +
                 struct.pack("!H", keepalive) + _b(client_id))


def willtopic(topic, qos=0, retain=False):
    if topic is None:
        return frame(WILLTOPIC)  # the empty WILLTOPIC (5.4.7)
    return frame(WILLTOPIC, bytes([flags(qos=qos, retain=retain)]) + _b(topic))


def willmsg(message):
    return frame(WILLMSG, _b(message))


def willtopicupd(topic, qos=0, retain=False):
    if topic is None:
        return frame(WILLTOPICUPD)
    return frame(WILLTOPICUPD, bytes([flags(qos=qos, retain=retain)]) + _b(topic))


def willmsgupd(message):
    return frame(WILLMSGUPD, _b(message))


def register(msg_id, topic, topic_id=0):
    return frame(REGISTER, struct.pack("!HH", topic_id, msg_id) + _b(topic))


def regack(topic_id, msg_id, rc=ACCEPTED):
    return frame(REGACK, struct.pack("!HHB", topic_id, msg_id, rc))


def publish(topic_id, data=b"", qos=0, msg_id=0, retain=False, dup=False, id_type=NORMAL):
    return frame(PUBLISH, bytes([flags(qos=qos, retain=retain, dup=dup, id_type=id_type)]) +
                 struct.pack("!HH", topic_id, msg_id) + _b(data))


def puback(topic_id, msg_id, rc=ACCEPTED):
    return frame(PUBACK, struct.pack("!HHB", topic_id, msg_id, rc))


def pubrec(msg_id):
    return frame(PUBREC, struct.pack("!H", msg_id))


def pubrel(msg_id):
    return frame(PUBREL, struct.pack("!H", msg_id))


def pubcomp(msg_id):
    return frame(PUBCOMP, struct.pack("!H", msg_id))


def topic_ref(topic, id_type):
    """SUBSCRIBE / UNSUBSCRIBE topic field: a name, or a 2-octet id (5.4.15)."""
    if id_type in (None, NORMAL):
        return NORMAL, _b(topic)
    return id_type, struct.pack("!H", topic if isinstance(topic, int) else short_id(topic))


def subscribe(msg_id, topic, qos=0, id_type=None):
    """topic: a name, a predefined id (int), or a short name (str, id_type SHORT)."""
    id_type, ref = topic_ref(topic, id_type)
    return frame(SUBSCRIBE, bytes([flags(qos=qos, id_type=id_type)]) +
                 struct.pack("!H", msg_id) + ref)


def unsubscribe(msg_id, topic, id_type=None):
    id_type, ref = topic_ref(topic, id_type)
    return frame(UNSUBSCRIBE, bytes([flags(id_type=id_type)]) + struct.pack("!H", msg_id) + ref)


def pingreq(client_id=None):
    return frame(PINGREQ, _b(client_id) if client_id else b"")


def disconnect(duration=None):
    return frame(DISCONNECT, struct.pack("!H", duration) if duration is not None else b"")


# ---------------------------------------------------------------- decoding

class Packet:
    """One received message; fields as attributes, named as in the spec."""

    def __init__(self, msg_type, **fields):
        self.type = msg_type
        self.__dict__.update(fields)

    @property
    def qos(self):
        q = (self.flags >> 5) & 0x03
        return -1 if q == 3 else q

    @property
    def dup(self):
        return bool(self.flags & DUP)

    @property
    def retain(self):
        return bool(self.flags & RETAIN)

    @property
    def id_type(self):
        return self.flags & 0x03

    def __repr__(self):
        fields = {k: v for k, v in self.__dict__.items() if k != "type"}
        return f"{NAMES.get(self.type, hex(self.type))}{fields}"


def parse(datagram):
    if len(datagram) >= 4 and datagram[0] == 0x01:
        length = struct.unpack("!H", datagram[1:3])[0]
        msg_type, body = datagram[3], datagram[4:]
    else:
        length, msg_type, body = datagram[0], datagram[1], datagram[2:]
    assert length == len(datagram), f"Length {length} but datagram of {len(datagram)}"
    u16 = lambda i: struct.unpack("!H", body[i:i + 2])[0]  # noqa: E731
    if msg_type == ADVERTISE:
        return Packet(msg_type, gw_id=body[0], duration=u16(1))
    if msg_type == GWINFO:
        return Packet(msg_type, gw_id=body[0], gw_add=bytes(body[1:]))
    if msg_type in (CONNACK, WILLTOPICRESP, WILLMSGRESP):
        return Packet(msg_type, rc=body[0])
    if msg_type in (WILLTOPICREQ, WILLMSGREQ, PINGRESP):
        assert not body
        return Packet(msg_type)
    if msg_type == REGISTER:
        return Packet(msg_type, topic_id=u16(0), msg_id=u16(2), topic_name=body[4:].decode())
    if msg_type in (REGACK, PUBACK):
        return Packet(msg_type, topic_id=u16(0), msg_id=u16(2), rc=body[4])
    if msg_type == PUBLISH:
        return Packet(msg_type, flags=body[0], topic_id=u16(1), msg_id=u16(3), data=bytes(body[5:]))
    if msg_type in (PUBREC, PUBREL, PUBCOMP, UNSUBACK):
        return Packet(msg_type, msg_id=u16(0))
    if msg_type == SUBACK:
        return Packet(msg_type, flags=body[0], topic_id=u16(1), msg_id=u16(3), rc=body[5])
    if msg_type == DISCONNECT:
        return Packet(msg_type, duration=u16(0) if body else None)
    raise AssertionError(f"unexpected message type {msg_type:#x} from the gateway")


# ------------------------------------------------------------------ client

class Client:
    """One MQTT-SN client on its own UDP socket (its own address)."""

    def __init__(self, port, client_id="sn-client", timeout=WAIT):
        self.gateway = (HOST, port)
        self.client_id = client_id
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((HOST, 0))
        self.topics = {}  # normal topic id -> name, as the gateway told us
        self.last_msg_id = 0

    @property
    def address(self):
        return self.sock.getsockname()

    def close(self):
        self.sock.close()

    def next_msg_id(self):
        self.last_msg_id = self.last_msg_id % 0xFFFF + 1
        return self.last_msg_id

    # --- raw traffic

    def send(self, datagram):
        self.sock.sendto(datagram, self.gateway)

    def recv(self, timeout=None):
        """The next datagram from the gateway, parsed."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no datagram within {timeout or self.timeout}s")
            self.sock.settimeout(left)
            try:
                data, sender = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            if sender == self.gateway:
                return parse(data)

    def expect(self, msg_type, timeout=None):
        p = self.recv(timeout)
        assert p.type == msg_type, f"expected {NAMES[msg_type]}, got {p!r}"
        return p

    def assert_quiet(self):
        """Nothing is waiting for us: a PINGREQ's answer is the next datagram."""
        self.send(pingreq())
        self.expect(PINGRESP)

    # --- flows

    def connect(self, clean=True, keepalive=60, will=None, expect_rc=ACCEPTED, client_id=None):
        """will: (topic, message, qos, retain)."""
        self.send(connect(client_id or self.client_id, clean, keepalive, will is not None))
        if will is not None:
            topic, message, qos, retain = will
            self.expect(WILLTOPICREQ)
            self.send(willtopic(topic, qos, retain))
            self.expect(WILLMSGREQ)
            self.send(willmsg(message))
        p = self.expect(CONNACK)
        assert p.rc == expect_rc, f"CONNACK return code {p.rc}"
        return p

    def register(self, topic):
        msg_id = self.next_msg_id()
        self.send(register(msg_id, topic))
        p = self.expect(REGACK)
        assert p.msg_id == msg_id and p.rc == ACCEPTED, p
        self.topics[p.topic_id] = topic
        return p.topic_id

    def publish(self, topic_id, data, qos=0, retain=False, id_type=NORMAL):
        """Publishes and completes the QoS flow; returns the PUBACK (QoS 1) or None."""
        msg_id = self.next_msg_id() if qos > 0 else 0
        self.send(publish(topic_id, data, qos, msg_id, retain, id_type=id_type))
        if qos == 1:
            p = self.expect(PUBACK)
            assert p.msg_id == msg_id and p.topic_id == topic_id, p
            return p
        if qos == 2:
            assert self.expect(PUBREC).msg_id == msg_id
            self.send(pubrel(msg_id))
            assert self.expect(PUBCOMP).msg_id == msg_id
        return None

    def subscribe(self, topic, qos=0, id_type=None, expect_rc=ACCEPTED):
        msg_id = self.next_msg_id()
        self.send(subscribe(msg_id, topic, qos, id_type))
        p = self.expect(SUBACK)
        assert p.msg_id == msg_id, p
        assert p.rc == expect_rc, f"SUBACK return code {p.rc}"
        if p.rc == ACCEPTED and p.topic_id and isinstance(topic, str) and id_type in (None, NORMAL):
            self.topics[p.topic_id] = topic
        return p

    def unsubscribe(self, topic, id_type=None):
        msg_id = self.next_msg_id()
        self.send(unsubscribe(msg_id, topic, id_type))
        assert self.expect(UNSUBACK).msg_id == msg_id

    def topic_of(self, p, predefined=None):
        if p.id_type == SHORT:
            return bytes([p.topic_id >> 8, p.topic_id & 0xFF]).decode()
        if p.id_type == PREDEFINED:
            return (predefined or {}).get(p.topic_id, f"<predefined {p.topic_id}>")
        return self.topics.get(p.topic_id)

    def get(self, timeout=None, ack=True, predefined=None):
        """The next PUBLISH, answering REGISTERs on the way and acknowledging
        it as its QoS asks. The packet gets a `topic` attribute."""
        while True:
            p = self.recv(timeout)
            if p.type == REGISTER:
                self.topics[p.topic_id] = p.topic_name
                self.send(regack(p.topic_id, p.msg_id))
                continue
            assert p.type == PUBLISH, f"expected PUBLISH, got {p!r}"
            p.topic = self.topic_of(p, predefined)
            if ack and p.qos == 1:
                self.send(puback(p.topic_id, p.msg_id))
            elif ack and p.qos == 2:
                self.send(pubrec(p.msg_id))
                assert self.expect(PUBREL).msg_id == p.msg_id
                self.send(pubcomp(p.msg_id))
            return p

    def ping(self, client_id=None):
        self.send(pingreq(client_id))
        return self.expect(PINGRESP)

    def disconnect(self, duration=None):
        self.send(disconnect(duration))
        return self.expect(DISCONNECT)
