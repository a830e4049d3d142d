"""Starts the real trellis binary on loopback with free ports and a temporary
data folder, waits until it says it is ready, and stops it with SIGTERM."""

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

TRELLIS_BIN = os.environ.get("TRELLIS_BIN", "trellis")
SOURCE_DIR = os.environ.get("TRELLIS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED_DIR = os.environ.get("TRELLIS_SHARED_DIR", os.path.join(SOURCE_DIR, "..", "shared"))

PORT_KEYS = (
    "mqtt.tcp_port", "mqtt.tls_port", "mqtt.ws_port", "mqtt.wss_port",
    "mqttsn.port", "lwm2m.coap_port", "lwm2m.dtls_port", "http.port",
)


def free_port(kind=socket.SOCK_STREAM):
    """A port that is free for TCP and UDP on 127.0.0.1 right now."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
        try:
            with socket.socket(socket.AF_INET, other) as s:
                s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue


def free_ports(keys):
    """Distinct free ports, one per key: the kernel may hand the same port out
    again once the probing socket is closed."""
    chosen = {}
    while len(chosen) < len(keys):
        port = free_port()
        if port not in chosen.values():
            chosen[keys[len(chosen)]] = port
    return chosen


class Trellis:
    """One running trellis process. `settings` are --set overrides."""

    def __init__(self, settings=None, data_dir=None, ports=None, env=None, args=None):
        self.owned_dir = None
        if data_dir is None:
            self.owned_dir = tempfile.TemporaryDirectory(prefix="trellis-test-")
            data_dir = self.owned_dir.name
        self.data_dir = data_dir
        # Ports picked here may be taken by another test process before trellis
        # binds them; start() then picks again (never for ports a test chose).
        self.own_ports = not ports
        self.ports = dict(ports) if ports else free_ports(PORT_KEYS)
        self.user_settings = dict(settings or {})
        # Two I/O threads even where the default gives one: the tests keep
        # exercising connections, sessions and the bus across threads.
        self.settings = {"data_dir": data_dir, "log.level": "debug", "threads": 2, **self.ports}
        self.settings.update(self.user_settings)
        self.env = env
        self.extra_args = args or []
        self.proc = None
        self.lines = []
        self._lines_cond = threading.Condition()

    # Port helpers
    @property
    def mqtt_port(self):
        return int(self.settings["mqtt.tcp_port"])

    @property
    def http_port(self):
        return int(self.settings["http.port"])

    def port(self, key):
        return int(self.settings[key])

    def start(self, timeout=30, attempts=3):
        for attempt in range(attempts):
            try:
                return self._start_once(timeout)
            except AssertionError:
                lost_race = any("Address already in use" in l for l in self.lines)
                if not (lost_race and self.own_ports and attempt + 1 < attempts):
                    raise
                self.ports = free_ports(PORT_KEYS)
                self.settings.update(self.ports)
                self.settings.update(self.user_settings)
                self.lines = []

    def _start_once(self, timeout):
        cmd = [TRELLIS_BIN]
        for k, v in self.settings.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            cmd += ["--set", f"{k}={v}"]
        cmd += self.extra_args
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env,
                                     cwd=self.data_dir)
        threading.Thread(target=self._pump, daemon=True).start()
        self.wait_for_log(" ready ", timeout=timeout)
        return self

    def _pump(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lines_cond:
                self.lines.append(line)
                self._lines_cond.notify_all()
        with self._lines_cond:
            self._lines_cond.notify_all()

    def wait_for_log(self, needle, timeout=10, start=0):
        """Waits for a log line containing `needle`; returns its index."""
        deadline = time.monotonic() + timeout
        with self._lines_cond:
            while True:
                for i in range(start, len(self.lines)):
                    if needle in self.lines[i]:
                        return i
                if self.proc.poll() is not None and not any(needle in l for l in self.lines[start:]):
                    # Process gone: give the reader thread a moment to drain.
                    self._lines_cond.wait(0.2)
                    if not any(needle in l for l in self.lines[start:]):
                        raise AssertionError(f"trellis exited ({self.proc.returncode}) before "
                                             f"logging {needle!r}:\n" + "\n".join(self.lines[-40:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no log line {needle!r} within {timeout}s:\n" +
                                         "\n".join(self.lines[-40:]))
                self._lines_cond.wait(left)

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("trellis did not stop within %ss of SIGTERM" % timeout)
        code = self.proc.returncode
        self.proc = None
        # The server survives a handler that throws, but it is still a bug.
        thrown = [l for l in self.lines if "a handler threw" in l]
        assert not thrown, "\n".join(thrown)
        return code

    def close(self):
        try:
            self.stop()
        finally:
            if self.owned_dir:
                self.owned_dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        code = self.stop()
        if self.owned_dir:
            self.owned_dir.cleanup()
        if exc[0] is None:
            assert code == 0, f"trellis exited with {code}"
