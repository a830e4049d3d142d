"""A small LwM2M client over plain UDP, written for Trellis's integration tests.

CoAP (RFC 7252) messages are encoded by hand; the client keeps a flat store of
resource values, answers Read / Write / Write-Attributes / Execute / Create /
Delete / Discover / Observe from the server, and sends Register, Update and
De-register. Content formats: text/plain, opaque, TLV, LwM2M JSON, SenML JSON
and SenML CBOR, enough of each for the tests. Every request the server sends
is recorded in `requests` so tests can check what went over the wire.
"""

import base64
import json
import os
import queue
import random
import socket
import struct
import threading
import time

# CoAP message types and codes (RFC 7252, 3 and 12.1).
CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT, DELETE = 1, 2, 3, 4

# Options (RFC 7252 5.10, RFC 7641, RFC 7959).
OBSERVE = 6
URI_PATH = 11
CONTENT_FORMAT = 12
URI_QUERY = 15
ACCEPT = 17
LOCATION_PATH = 8
BLOCK2 = 23
BLOCK1 = 27
SIZE2 = 28
SIZE1 = 60

# Content formats (LwM2M 1.1 Core, 7.4).
TEXT = 0
LINK = 40
OPAQUE = 42
SENML_JSON = 110
SENML_CBOR = 112
TLV = 11542
LWM2M_JSON = 11543


def code(c, d):
    return (c << 5) | d


def code_str(c):
    return "%d.%02d" % (c >> 5, c & 31)


CREATED, DELETED, CHANGED, CONTENT = code(2, 1), code(2, 2), code(2, 4), code(2, 5)
BAD_REQUEST, NOT_FOUND, METHOD_NOT_ALLOWED = code(4, 0), code(4, 4), code(4, 5)
NOT_ACCEPTABLE, UNSUPPORTED_FORMAT = code(4, 6), code(4, 15)


def encode_uint(v):
    if v == 0:
        return b""
    n = (v.bit_length() + 7) // 8
    return v.to_bytes(n, "big")


def decode_uint(b):
    return int.from_bytes(b, "big") if b else 0


class Message:
    """One CoAP message; options is a list of (number, bytes) in any order."""

    def __init__(self, mtype=CON, code_=0, mid=0, token=b"", options=None, payload=b""):
        self.type = mtype
        self.code = code_
        self.mid = mid
        self.token = token
        self.options = list(options or [])
        self.payload = payload

    def opt(self, number):
        return [v for n, v in self.options if n == number]

    def opt_uint(self, number):
        vals = self.opt(number)
        return decode_uint(vals[0]) if vals else None

    @property
    def uri_path(self):
        return "/" + "/".join(v.decode() for v in self.opt(URI_PATH))

    @property
    def queries(self):
        return [v.decode() for v in self.opt(URI_QUERY)]

    def encode(self):
        out = bytearray()
        out.append(0x40 | (self.type << 4) | len(self.token))
        out.append(self.code)
        out += struct.pack("!H", self.mid)
        out += self.token
        last = 0
        for number, value in sorted(self.options, key=lambda o: o[0]):
            delta = number - last
            last = number
            length = len(value)
            dn, dext = nibble(delta)
            ln, lext = nibble(length)
            out.append((dn << 4) | ln)
            out += dext + lext + value
        if self.payload:
            out.append(0xFF)
            out += self.payload
        return bytes(out)

    @staticmethod
    def decode(data):
        if len(data) < 4:
            raise ValueError("short message")
        ver = data[0] >> 6
        if ver != 1:
            raise ValueError("bad version")
        mtype = (data[0] >> 4) & 3
        tkl = data[0] & 15
        code_ = data[1]
        mid = struct.unpack("!H", data[2:4])[0]
        token = data[4:4 + tkl]
        i = 4 + tkl
        options = []
        number = 0
        payload = b""
        while i < len(data):
            if data[i] == 0xFF:
                payload = data[i + 1:]
                break
            delta, length = data[i] >> 4, data[i] & 15
            i += 1
            delta, i = ext(delta, data, i)
            length, i = ext(length, data, i)
            number += delta
            options.append((number, data[i:i + length]))
            i += length
        return Message(mtype, code_, mid, token, options, payload)

    def __repr__(self):
        return "Message(%s %s mid=%d token=%s opts=%s payload=%r)" % (
            ["CON", "NON", "ACK", "RST"][self.type], code_str(self.code), self.mid, self.token.hex(),
            self.options, self.payload[:60])


def nibble(v):
    if v < 13:
        return v, b""
    if v < 269:
        return 13, bytes([v - 13])
    return 14, struct.pack("!H", v - 269)


def ext(v, data, i):
    if v == 13:
        return data[i] + 13, i + 1
    if v == 14:
        return struct.unpack("!H", data[i:i + 2])[0] + 269, i + 2
    if v == 15:
        raise ValueError("reserved option nibble")
    return v, i


# ---------------------------------------------------------------- CBOR (RFC 8949), the subset SenML uses

def cbor_encode(v):
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        if v >= 0:
            return cbor_head(0, v)
        return cbor_head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack("!d", v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor_encode(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor_encode(k) + cbor_encode(x) for k, x in v.items())
    raise TypeError(type(v))


def cbor_head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 256:
        return bytes([(major << 5) | 24, n])
    if n < 65536:
        return bytes([(major << 5) | 25]) + struct.pack("!H", n)
    if n < 2 ** 32:
        return bytes([(major << 5) | 26]) + struct.pack("!I", n)
    return bytes([(major << 5) | 27]) + struct.pack("!Q", n)


def cbor_decode(data):
    v, i = _cbor_item(data, 0)
    if i != len(data):
        raise ValueError("trailing bytes")
    return v


def _cbor_item(d, i):
    ib = d[i]
    major, info = ib >> 5, ib & 31
    i += 1
    if major == 7:
        if info == 20:
            return False, i
        if info == 21:
            return True, i
        if info == 22:
            return None, i
        if info == 25:
            return _half(d[i:i + 2]), i + 2
        if info == 26:
            return struct.unpack("!f", d[i:i + 4])[0], i + 4
        if info == 27:
            return struct.unpack("!d", d[i:i + 8])[0], i + 8
        raise ValueError("simple value %d" % info)
    if info < 24:
        n = info
    elif info == 24:
        n, i = d[i], i + 1
    elif info == 25:
        n, i = struct.unpack("!H", d[i:i + 2])[0], i + 2
    elif info == 26:
        n, i = struct.unpack("!I", d[i:i + 4])[0], i + 4
    elif info == 27:
        n, i = struct.unpack("!Q", d[i:i + 8])[0], i + 8
    elif info == 31 and major in (4, 5):
        items = [] if major == 4 else {}
        while d[i] != 0xFF:
            k, i = _cbor_item(d, i)
            if major == 4:
                items.append(k)
            else:
                items[k], i = _cbor_item(d, i)
        return items, i + 1
    else:
        raise ValueError("unsupported additional info")
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major == 2:
        return bytes(d[i:i + n]), i + n
    if major == 3:
        return d[i:i + n].decode(), i + n
    if major == 4:
        out = []
        for _ in range(n):
            x, i = _cbor_item(d, i)
            out.append(x)
        return out, i
    if major == 5:
        out = {}
        for _ in range(n):
            k, i = _cbor_item(d, i)
            out[k], i = _cbor_item(d, i)
        return out, i
    if major == 6:
        return _cbor_item(d, i)
    raise ValueError("major %d" % major)


def _half(b):
    h = struct.unpack("!H", b)[0]
    s, e, f = h >> 15, (h >> 10) & 31, h & 1023
    if e == 0:
        v = f * 2 ** -24
    elif e == 31:
        v = float("inf") if f == 0 else float("nan")
    else:
        v = (1 + f / 1024) * 2 ** (e - 15)
    return -v if s else v


# ---------------------------------------------------------------- the object store

class Resource:
    """A resource value in the client's store. `kind` is the LwM2M type name."""

    def __init__(self, kind, value, ops="RW"):
        self.kind = kind
        self.value = value
        self.ops = ops


def parse_path(p):
    parts = [x for x in p.strip("/").split("/") if x != ""]
    return tuple(int(x) for x in parts)


def path_str(t):
    return "/" + "/".join(str(x) for x in t)


def value_bytes_tlv(kind, v):
    if kind in ("Integer", "Time"):
        for size, fmt in ((1, "!b"), (2, "!h"), (4, "!i"), (8, "!q")):
            try:
                return struct.pack(fmt, v)
            except struct.error:
                continue
    if kind == "Unsigned Integer":
        return encode_uint(v) or b"\x00"
    if kind == "Float":
        return struct.pack("!d", v)
    if kind == "Boolean":
        return b"\x01" if v else b"\x00"
    if kind == "Opaque":
        return v
    if kind == "Objlnk":
        a, b = v.split(":")
        return struct.pack("!HH", int(a), int(b))
    return str(v).encode()


def value_from_tlv(kind, b):
    if kind in ("Integer", "Time"):
        return int.from_bytes(b, "big", signed=True)
    if kind == "Unsigned Integer":
        return int.from_bytes(b, "big")
    if kind == "Float":
        return struct.unpack("!f" if len(b) == 4 else "!d", b)[0]
    if kind == "Boolean":
        return b == b"\x01"
    if kind == "Opaque":
        return bytes(b)
    if kind == "Objlnk":
        a, c = struct.unpack("!HH", b)
        return "%d:%d" % (a, c)
    return b.decode()


def tlv_item(kind_bits, ident, value):
    t = kind_bits << 6
    if ident > 255:
        t |= 0x20
        idb = struct.pack("!H", ident)
    else:
        idb = bytes([ident])
    n = len(value)
    if n < 8:
        t |= n
        lb = b""
    elif n < 256:
        t |= 0x08
        lb = bytes([n])
    elif n < 65536:
        t |= 0x10
        lb = struct.pack("!H", n)
    else:
        t |= 0x18
        lb = n.to_bytes(3, "big")
    return bytes([t]) + idb + lb + value


def tlv_parse(data):
    out = []
    i = 0
    while i < len(data):
        t = data[i]
        i += 1
        kind = t >> 6
        if t & 0x20:
            ident = struct.unpack("!H", data[i:i + 2])[0]
            i += 2
        else:
            ident = data[i]
            i += 1
        lt = (t >> 3) & 3
        if lt == 0:
            n = t & 7
        else:
            n = int.from_bytes(data[i:i + lt], "big")
            i += lt
        out.append((kind, ident, data[i:i + n]))
        i += n
    return out


class Lwm2mClient:
    """One LwM2M client over UDP. Values live in `store`: {(3, 0, 1): Resource}."""

    def __init__(self, port, endpoint, host="127.0.0.1", lifetime=60, version="1.1", binding="U",
                 queue_mode=False, root_ct=None, alternate_path=None, sms=None):
        self.server = (host, port)
        self.endpoint = endpoint
        self.lifetime = lifetime
        self.version = version
        self.binding = binding
        self.queue_mode = queue_mode
        self.root_ct = root_ct
        self.alternate_path = alternate_path
        self.sms = sms
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.mid = random.randint(0, 0xFFFF)
        self.location = None
        self.store = {}
        self.instances = set()   # (obj, inst) that exist
        self.objects = set()     # object ids the client supports
        self.versions = {}       # object id -> version text
        self.observers = {}      # path tuple -> (token, seq)
        self.requests = []       # every request from the server, in order
        self.executed = []       # (path, args)
        self.attributes = {}     # path -> {name: value}
        self.asleep = False      # drop everything while True (queue mode)
        self.block1 = {}         # uri path -> payload received so far (RFC 7959)
        self._final_block1 = None
        self.responses = queue.Queue()
        self.lock = threading.RLock()
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        self._default_objects()

    # ---------------------------------------------------------------- object store
    def _default_objects(self):
        self.add_instance(1, 0, {1: Resource("Integer", self.lifetime), 7: Resource("String", self.binding)})
        self.add_instance(3, 0, {
            0: Resource("String", "Trellis Test Co.", "R"),
            1: Resource("String", "Lightweight M2M Client", "R"),
            2: Resource("String", "345000123", "R"),
            4: Resource("", None, "E"),
            9: Resource("Integer", 95, "R"),
            13: Resource("Time", 1700000000),
            14: Resource("String", "+01:00"),
            16: Resource("String", "U", "R"),
        })
        self.store[(3, 0, 7, 0)] = Resource("Integer", 3800, "R")
        self.store[(3, 0, 7, 1)] = Resource("Integer", 5000, "R")
        self.add_instance(3303, 0, {
            5700: Resource("Float", 21.5, "R"),
            5701: Resource("String", "Cel", "R"),
            5601: Resource("Float", 18.0, "R"),
            5605: Resource("", None, "E"),
        })
        self.add_instance(3311, 0, {
            5850: Resource("Boolean", False),
            5851: Resource("Integer", 50),
            5750: Resource("String", "lamp"),
        })
        self.objects.add(3341)
        self.versions[3303] = "1.1"

    def add_instance(self, obj, inst, resources):
        with self.lock:
            self.objects.add(obj)
            self.instances.add((obj, inst))
            for rid, res in resources.items():
                self.store[(obj, inst, rid)] = res

    def kind_of(self, path):
        with self.lock:
            r = self.store.get(path[:3]) or self.store.get(path)
            if r is None:
                for p, res in self.store.items():
                    if p[:3] == path[:3] or (len(path) >= 3 and p[0] == path[0] and p[2] == path[2]):
                        return res.kind
                return "String"
            return r.kind

    def set_value(self, path, value, notify=True):
        """Changes a value and notifies observers of it (or of a path above it)."""
        t = parse_path(path)
        with self.lock:
            self.store[t].value = value
            targets = [p for p in self.observers if t[:len(p)] == p]
        if notify:
            for p in targets:
                self.notify(p)

    def object_links(self):
        links = []
        if self.alternate_path:
            links.append('<%s>;rt="oma.lwm2m"' % self.alternate_path)
        elif self.root_ct is not None:
            links.append('</>;rt="oma.lwm2m";ct=%s' % self.root_ct)
        prefix = self.alternate_path or ""
        for obj in sorted(self.objects):
            insts = sorted(i for o, i in self.instances if o == obj)
            ver = self.versions.get(obj)
            if not insts:
                links.append("<%s/%d>%s" % (prefix, obj, ";ver=%s" % ver if ver else ""))
            for i in insts:
                if ver and i == insts[0]:
                    links.append("<%s/%d>;ver=%s" % (prefix, obj, ver))
                links.append("<%s/%d/%d>" % (prefix, obj, i))
        return ",".join(links)

    # ---------------------------------------------------------------- client -> server
    def next_mid(self):
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def request(self, code_, path, queries=(), payload=b"", content_format=None, timeout=5.0, mtype=CON):
        token = os.urandom(4)
        opts = [(URI_PATH, seg.encode()) for seg in path.strip("/").split("/") if seg]
        opts += [(URI_QUERY, q.encode()) for q in queries]
        if content_format is not None:
            opts.append((CONTENT_FORMAT, encode_uint(content_format)))
        msg = Message(mtype, code_, self.next_mid(), token, opts, payload)
        return self.send_and_wait(msg, timeout)

    def send_and_wait(self, msg, timeout=5.0):
        deadline = time.monotonic() + timeout
        tries = 0
        while True:
            self.sock.sendto(msg.encode(), self.server)
            tries += 1
            wait_until = min(deadline, time.monotonic() + 2.0)
            while time.monotonic() < wait_until:
                try:
                    rsp = self.responses.get(timeout=max(0.01, wait_until - time.monotonic()))
                except queue.Empty:
                    break
                if rsp.token == msg.token or (rsp.type in (ACK, RST) and rsp.mid == msg.mid and rsp.code != 0):
                    return rsp
                if rsp.type == RST and rsp.mid == msg.mid:
                    return rsp
            if time.monotonic() >= deadline:
                return None

    def send_raw(self, data):
        self.sock.sendto(data, self.server)

    def register(self, lifetime=None, payload=None, queries=None, content_format=LINK):
        if lifetime is not None:
            self.lifetime = lifetime
        if queries is None:
            queries = ["ep=" + self.endpoint, "lt=%d" % self.lifetime, "lwm2m=" + self.version,
                       "b=" + self.binding]
            if self.sms:
                queries.append("sms=" + self.sms)
            if self.queue_mode:
                queries.append("Q")
        body = (self.object_links() if payload is None else payload)
        if isinstance(body, str):
            body = body.encode()
        rsp = self.request(POST, "/rd", queries, body, content_format)
        if rsp is not None and rsp.code == CREATED:
            self.location = "/" + "/".join(v.decode() for v in rsp.opt(LOCATION_PATH))
        return rsp

    def update(self, lifetime=None, with_objects=False, queries=None):
        q = list(queries or [])
        if lifetime is not None:
            self.lifetime = lifetime
            q.append("lt=%d" % lifetime)
        body = self.object_links().encode() if with_objects else b""
        return self.request(POST, self.location, q, body, LINK if with_objects else None)

    def deregister(self):
        return self.request(DELETE, self.location)

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()

    # ---------------------------------------------------------------- server -> client
    def _loop(self):
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                msg = Message.decode(data)
            except ValueError:
                continue
            if msg.code == 0 or msg.code >= 64:  # empty or response
                self.responses.put(msg)
                continue
            if self.asleep:
                continue
            try:
                self._handle(msg, addr)
            except Exception as e:  # a test client must never die silently
                self._reply(msg, addr, code(5, 0), payload=repr(e).encode())

    def _reply(self, req, addr, code_, payload=b"", content_format=None, options=()):
        opts = list(options)
        if self._final_block1 is not None:
            opts.append(self._final_block1)
            self._final_block1 = None
        if content_format is not None:
            opts.append((CONTENT_FORMAT, encode_uint(content_format)))
        mtype = ACK if req.type == CON else NON
        mid = req.mid if req.type == CON else self.next_mid()
        self.sock.sendto(Message(mtype, code_, mid, req.token, opts, payload).encode(), addr)

    def _handle(self, msg, addr):
        path_segs = [v.decode() for v in msg.opt(URI_PATH)]
        if self.alternate_path:
            alt = [s for s in self.alternate_path.split("/") if s]
            if path_segs[:len(alt)] != alt:
                return self._reply(msg, addr, NOT_FOUND)
            path_segs = path_segs[len(alt):]
        path = tuple(int(s) for s in path_segs)
        b1 = msg.opt_uint(BLOCK1)
        if b1 is not None:
            num, more = b1 >> 4, (b1 >> 3) & 1
            key = msg.uri_path
            if num == 0:
                self.block1[key] = b""
            self.block1[key] = self.block1.get(key, b"") + msg.payload
            if more:
                return self._reply(msg, addr, code(2, 31), options=[(BLOCK1, encode_uint(b1))])
            msg.payload = self.block1.pop(key)
            self._final_block1 = (BLOCK1, encode_uint(b1))
        with self.lock:
            self.requests.append({
                "method": msg.code, "path": path_str(path), "accept": msg.opt_uint(ACCEPT),
                "format": msg.opt_uint(CONTENT_FORMAT), "queries": msg.queries, "payload": msg.payload,
                "observe": msg.opt_uint(OBSERVE), "token": msg.token, "raw_path": "/" + "/".join(
                    v.decode() for v in msg.opt(URI_PATH)),
            })
        if msg.code == GET:
            return self._get(msg, addr, path)
        if msg.code == PUT:
            if not msg.payload and msg.queries:
                self.attributes.setdefault(path_str(path), {}).update(
                    dict(q.split("=", 1) if "=" in q else (q, "") for q in msg.queries))
                return self._reply(msg, addr, CHANGED)
            return self._write(msg, addr, path, replace=True)
        if msg.code == POST:
            if len(path) == 3:
                res = self.store.get(path)
                if res is None:
                    return self._reply(msg, addr, NOT_FOUND)
                if "E" not in res.ops:
                    return self._reply(msg, addr, METHOD_NOT_ALLOWED)
                self.executed.append((path_str(path), msg.payload.decode()))
                return self._reply(msg, addr, CHANGED)
            if len(path) == 1:
                return self._create(msg, addr, path)
            return self._write(msg, addr, path, replace=False)
        if msg.code == DELETE:
            if len(path) != 2 or path not in self.instances:
                return self._reply(msg, addr, NOT_FOUND)
            with self.lock:
                self.instances.discard(path)
                for p in [p for p in self.store if p[:2] == path]:
                    del self.store[p]
            return self._reply(msg, addr, DELETED)
        return self._reply(msg, addr, METHOD_NOT_ALLOWED)

    def _exists(self, path):
        with self.lock:
            if len(path) == 1:
                return path[0] in self.objects
            if len(path) == 2:
                return path in self.instances
            return any(p[:len(path)] == path for p in self.store)

    def _get(self, msg, addr, path):
        accept = msg.opt_uint(ACCEPT)
        if accept == LINK:
            if not self._exists(path):
                return self._reply(msg, addr, NOT_FOUND)
            links = ["<%s>" % path_str(path)]
            attrs = self.attributes.get(path_str(path))
            if attrs:
                links[0] += "".join(";%s=%s" % kv for kv in attrs.items())
            with self.lock:
                below = sorted({p[:3] for p in self.store if p[:len(path)] == path and len(path) < 3})
            links += ["<%s>" % path_str(p) for p in below]
            return self._reply(msg, addr, CONTENT, ",".join(links).encode(), LINK)
        obs = msg.opt_uint(OBSERVE)
        if not self._exists(path):
            return self._reply(msg, addr, NOT_FOUND)
        fmt = accept if accept is not None else (TEXT if len(path) >= 3 else TLV)
        try:
            body = self.encode(path, fmt)
        except NotAcceptable:
            return self._reply(msg, addr, NOT_ACCEPTABLE)
        opts = []
        b2 = msg.opt_uint(BLOCK2)
        if (b2 is not None or len(body) > 1024) and obs is None:
            num, szx = (b2 >> 4, min(b2 & 7, 6)) if b2 is not None else (0, 6)
            size = 1 << (szx + 4)
            more = (num + 1) * size < len(body)
            opts.append((BLOCK2, encode_uint((num << 4) | (more << 3) | szx)))
            opts.append((SIZE2, encode_uint(len(body))))
            body = body[num * size:(num + 1) * size]
        with self.lock:
            if obs == 0:
                self.observers[path] = [msg.token, 1, fmt, addr]
                opts.append((OBSERVE, encode_uint(1)))
            elif obs == 1:
                self.observers.pop(path, None)
        return self._reply(msg, addr, CONTENT, body, fmt, opts)

    def notify(self, path, confirmable=False):
        with self.lock:
            entry = self.observers.get(path)
            if entry is None:
                return False
            entry[1] += 1
            token, seq, fmt, addr = entry
        body = self.encode(path, fmt)
        m = Message(CON if confirmable else NON, CONTENT, self.next_mid(), token,
                    [(OBSERVE, encode_uint(seq)), (CONTENT_FORMAT, encode_uint(fmt))], body)
        self.sock.sendto(m.encode(), addr)
        return True

    # ---------------------------------------------------------------- content formats
    def readable(self, prefix):
        with self.lock:
            return sorted((p, r) for p, r in self.store.items()
                          if p[:len(prefix)] == prefix and r.kind != "" and "R" in r.ops)

    def encode(self, path, fmt):
        items = self.readable(path)
        if fmt == TEXT or fmt == OPAQUE:
            if len(path) < 3 or len(items) != 1:
                raise NotAcceptable()
            r = items[0][1]
            if fmt == OPAQUE:
                if r.kind != "Opaque":
                    raise NotAcceptable()
                return r.value
            if r.kind == "Boolean":
                return b"1" if r.value else b"0"
            if r.kind == "Opaque":
                return base64.b64encode(r.value)
            return str(r.value).encode()
        if fmt == TLV:
            return self.encode_tlv(path, items)
        if fmt in (SENML_JSON, SENML_CBOR, LWM2M_JSON):
            recs = []
            for p, r in items:
                rec = {"n": path_str(p)}
                if r.kind in ("Integer", "Unsigned Integer", "Float", "Time"):
                    rec["v"] = r.value
                elif r.kind == "Boolean":
                    rec["vb"] = r.value
                elif r.kind == "Opaque":
                    rec["vd"] = r.value
                elif r.kind == "Objlnk":
                    rec["vlo"] = r.value
                else:
                    rec["vs"] = r.value
                recs.append(rec)
            if fmt == SENML_CBOR:
                keys = {"n": 0, "v": 2, "vs": 3, "vb": 4, "vd": 8, "vlo": "vlo"}
                return cbor_encode([{keys[k]: v for k, v in rec.items()} for rec in recs])
            if fmt == SENML_JSON:
                for rec in recs:
                    if "vd" in rec:
                        rec["vd"] = base64.urlsafe_b64encode(rec["vd"]).decode().rstrip("=")
                return json.dumps(recs).encode()
            base = path_str(path) + "/"
            entries = []
            for rec in recs:
                e = {"n": rec["n"][len(base):] if rec["n"].startswith(base) else rec["n"]}
                for k, v in rec.items():
                    if k == "n":
                        continue
                    if k == "vd":
                        e["sv"] = base64.b64encode(v).decode()
                    elif k == "vs":
                        e["sv"] = v
                    elif k == "vlo":
                        e["ov"] = v
                    else:
                        e[k] = v
                entries.append(e)
            return json.dumps({"bn": base, "e": entries}).encode()
        raise NotAcceptable()

    def encode_tlv(self, path, items):
        # Group by instance, then resource (multiple resources carry instances).
        def resource_tlv(rid, group):
            if len(group) == 1 and len(group[0][0]) == 3:
                p, r = group[0]
                return tlv_item(3, rid, value_bytes_tlv(r.kind, r.value))
            inner = b"".join(tlv_item(1, p[3], value_bytes_tlv(r.kind, r.value)) for p, r in group)
            return tlv_item(2, rid, inner)

        def instance_body(inst_items):
            out = b""
            rids = sorted({p[2] for p, _ in inst_items})
            for rid in rids:
                out += resource_tlv(rid, [(p, r) for p, r in inst_items if p[2] == rid])
            return out

        if len(path) >= 3:
            if len(path) == 4:
                p, r = items[0]
                return tlv_item(1, p[3], value_bytes_tlv(r.kind, r.value))
            return resource_tlv(path[2], items)
        if len(path) == 2:
            return instance_body(items)
        out = b""
        for inst in sorted({p[1] for p, _ in items}):
            out += tlv_item(0, inst, instance_body([(p, r) for p, r in items if p[1] == inst]))
        return out

    def decode(self, path, fmt, payload):
        """Returns {path tuple: value} for a write / create payload."""
        if fmt == TEXT:
            kind = self.kind_of(path)
            t = payload.decode()
            if kind in ("Integer", "Time", "Unsigned Integer"):
                return {path: int(t)}
            if kind == "Float":
                return {path: float(t)}
            if kind == "Boolean":
                return {path: t == "1"}
            if kind == "Opaque":
                return {path: base64.b64decode(t)}
            return {path: t}
        if fmt == OPAQUE:
            return {path: payload}
        if fmt == TLV:
            out = {}
            self._tlv_into(path, tlv_parse(payload), out)
            return out
        if fmt in (SENML_JSON, SENML_CBOR):
            recs = json.loads(payload) if fmt == SENML_JSON else cbor_decode(payload)
            out = {}
            bn = ""
            for rec in recs:
                get = (lambda k, n: rec.get(k, rec.get(n))) if fmt == SENML_CBOR else (lambda k, n: rec.get(k))
                bn = get("bn", -2) or bn
                name = bn + (get("n", 0) or "")
                p = parse_path(name)
                for k, n in (("v", 2), ("vs", 3), ("vb", 4), ("vd", 8), ("vlo", "vlo")):
                    v = get(k, n)
                    if v is not None:
                        if k == "vd" and isinstance(v, str):
                            v = base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
                        out[p] = v
            return out
        if fmt == LWM2M_JSON:
            doc = json.loads(payload)
            bn = doc.get("bn", path_str(path) + "/")
            out = {}
            for e in doc["e"]:
                p = parse_path(bn + e.get("n", ""))
                for k in ("v", "sv", "bv", "ov"):
                    if k in e:
                        v = e[k]
                        if k == "sv" and self.kind_of(p) == "Opaque":
                            v = base64.b64decode(v)
                        out[p] = v
            return out
        raise ValueError("format %s" % fmt)

    def _tlv_into(self, base, items, out):
        for kind, ident, value in items:
            if kind == 0:
                self._tlv_into(base[:1] + (ident,), tlv_parse(value), out)
            elif kind == 2:
                prefix = base[:2] + (ident,) if len(base) >= 2 else base
                for _, inst, v in tlv_parse(value):
                    p = prefix + (inst,)
                    out[p] = value_from_tlv(self.kind_of(p), v)
            elif kind == 3:
                p = base[:2] + (ident,)
                out[p] = value_from_tlv(self.kind_of(p), value)
            elif kind == 1:
                p = base[:3] + (ident,)
                out[p] = value_from_tlv(self.kind_of(p), value)

    def _write(self, msg, addr, path, replace):
        fmt = msg.opt_uint(CONTENT_FORMAT)
        if fmt is None:
            return self._reply(msg, addr, BAD_REQUEST)
        if not self._exists(path[:2]):
            return self._reply(msg, addr, NOT_FOUND)
        try:
            values = self.decode(path, fmt, msg.payload)
        except Exception:
            return self._reply(msg, addr, BAD_REQUEST)
        with self.lock:
            for p, v in values.items():
                if p[:len(path)] != path and not (len(p) < len(path)):
                    return self._reply(msg, addr, BAD_REQUEST)
                if p in self.store:
                    self.store[p].value = v
                else:
                    self.store[p] = Resource(self.kind_of(p), v)
        return self._reply(msg, addr, CHANGED)

    def _create(self, msg, addr, path):
        obj = path[0]
        if obj not in self.objects:
            return self._reply(msg, addr, NOT_FOUND)
        fmt = msg.opt_uint(CONTENT_FORMAT)
        inst = max([i for o, i in self.instances if o == obj], default=-1) + 1
        values = {}
        if msg.payload:
            if fmt == TLV:
                items = tlv_parse(msg.payload)
                if items and items[0][0] == 0:
                    inst = items[0][1]
                    self._tlv_into((obj, inst), tlv_parse(items[0][2]), values)
                else:
                    self._tlv_into((obj, inst), items, values)
            else:
                values = self.decode(path, fmt, msg.payload)
                if values:
                    inst = next(iter(values))[1]
        with self.lock:
            if (obj, inst) in self.instances:
                return self._reply(msg, addr, BAD_REQUEST)
            self.instances.add((obj, inst))
            for p, v in values.items():
                self.store[p] = Resource(kind_guess(v), v)
        loc = [(LOCATION_PATH, str(obj).encode()), (LOCATION_PATH, str(inst).encode())]
        return self._reply(msg, addr, CREATED, options=loc)


class NotAcceptable(Exception):
    pass


def kind_guess(v):
    if isinstance(v, bool):
        return "Boolean"
    if isinstance(v, int):
        return "Integer"
    if isinstance(v, float):
        return "Float"
    if isinstance(v, bytes):
        return "Opaque"
    return "String"
