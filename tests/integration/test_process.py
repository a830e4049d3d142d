"""The trellis process itself: command line, configuration errors, start-up
and a clean SIGTERM shutdown."""

import json
import os
import subprocess
import tempfile

import mqtt_support as m
from trellis_process import TRELLIS_BIN, Trellis


def run(*args, env=None, timeout=20):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([TRELLIS_BIN, *args], capture_output=True, text=True, env=e, timeout=timeout)


def test_help_lists_options_and_every_key():
    r = run("--help")
    assert r.returncode == 0
    for word in ("--config", "--set", "--print-config", "--version", "mqtt.tcp_port", "lwm2m.dtls_port",
                 "http.api_keys", "TRELLIS_"):
        assert word in r.stdout


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert "trellis" in r.stdout.lower()


def test_print_config_shows_defaults_and_overrides_in_precedence_order():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.jsonc")
        with open(path, "w") as f:
            f.write('// comment\n{"mqtt": {"tcp_port": 1000, "ws_port": 1001, /* c */ "tls_port": 1002}}\n')
        r = run("--config", path, "--set", "mqtt.ws_port=2001", "--print-config",
                env={"TRELLIS_MQTT_WS_PORT": "3001", "TRELLIS_MQTT_TLS_PORT": "3002"})
        assert r.returncode == 0, r.stderr
        cfg = json.loads(r.stdout)
        assert cfg["mqtt"]["tcp_port"] == 1000      # file
        assert cfg["mqtt"]["tls_port"] == 3002      # environment beats file
        assert cfg["mqtt"]["ws_port"] == 2001       # --set beats environment
        assert cfg["mqtt"]["wss_port"] == 8084      # default
        assert cfg["http"]["port"] == 8080
        assert cfg["data_dir"] == "./data"
        assert cfg["mqtt"]["allow_anonymous"] is True


def test_unknown_key_exits_2_naming_it():
    r = run("--set", "mqtt.tcp_prot=1")
    assert r.returncode == 2
    assert "mqtt.tcp_prot" in r.stderr


def test_wrong_type_and_out_of_range_exit_2_naming_the_key():
    r = run("--set", "mqtt.tcp_port=abc")
    assert r.returncode == 2 and "mqtt.tcp_port" in r.stderr
    r = run("--set", "mqtt.tcp_port=70000")
    assert r.returncode == 2 and "mqtt.tcp_port" in r.stderr and "65535" in r.stderr
    r = run(env={"TRELLIS_LOG_LEVEL": "loud"})
    assert r.returncode == 2 and "log.level" in r.stderr and "TRELLIS_LOG_LEVEL" in r.stderr


def test_bad_config_file_exits_2():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bad.json")
        with open(path, "w") as f:
            f.write('{"mqtt": {"tcp_port": }}')
        r = run("--config", path)
        assert r.returncode == 2
        assert "bad.json" in r.stderr
        r = run("--config", os.path.join(d, "missing.json"))
        assert r.returncode == 2 and "missing.json" in r.stderr


def test_unknown_option_exits_2():
    r = run("--frobnicate")
    assert r.returncode == 2


def test_starts_creates_data_dir_and_database_then_exits_0_on_sigterm():
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "nested", "data")
        t = Trellis(data_dir=None, settings={"data_dir": data})
        t.start()
        try:
            assert os.path.isdir(data)
            assert os.path.isfile(os.path.join(data, "trellis.db"))
        finally:
            code = t.stop()
            t.close()
        assert code == 0
        assert any("stopped" in l for l in t.lines)


def test_port_in_use_fails_start_up_with_a_clear_message():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        t = Trellis(settings={"mqtt.tcp_port": port})
        started = True
        try:
            t.start(timeout=10)
        except AssertionError as e:
            started = False
            assert "exited" in str(e)
        finally:
            code = t.stop()
            t.close()
        assert not started
        assert code == 1
        assert any(str(port) in l and "cannot listen" in l for l in t.lines)


def round_trips(port, tag):
    """QoS 0, 1 and 2 through the broker, each after the previous one arrived."""
    sub = m.Client(port, f"{tag}-sub")
    assert sub.subscribe(f"{tag}/#", 2) == [2]
    pub = m.Client(port, f"{tag}-pub")
    for qos in range(3):
        pub.publish(f"{tag}/q{qos}", f"qos {qos}".encode(), qos=qos)
        got = sub.get()
        assert (got.topic, got.payload, got.qos) == (f"{tag}/q{qos}", f"qos {qos}".encode(), qos)
    for c in (sub, pub):
        c.disconnect()


def test_busy_polling_serves_clients_wakes_timers_and_stops_cleanly():
    with Trellis(settings={"threads": 1, "busy_poll_us": 500}) as t:  # exits 0 or fails
        assert "threads=1 busy_poll_us=500" in t.lines[t.wait_for_log(" ready ")]
        round_trips(t.mqtt_port, "poll")
        # A timer (keepalive) fires while the loop alternates between polling and sleeping.
        raw = m.RawClient(t.mqtt_port)
        raw.connect("silent", keepalive=1)
        t.wait_for_log("keepalive expired client=silent ")
        raw.wait_closed()
        round_trips(t.mqtt_port, "again")
    assert any(l.endswith("trellis: stopped") for l in t.lines)


def test_busy_polling_with_more_than_one_thread_is_left_off_and_says_so():
    with Trellis(settings={"threads": 2, "busy_poll_us": 200}) as t:
        warning = t.wait_for_log("busy_poll_us works with one I/O thread (threads=1); not polling")
        assert "threads=2" in t.lines[warning]
        assert "threads=2 busy_poll_us=0" in t.lines[t.wait_for_log(" ready ")]
        round_trips(t.mqtt_port, "threads")
