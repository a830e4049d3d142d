"""A fleet sending telemetry faster than it can be stored: once the telemetry
backlog passes telemetry.max_backlog_mb, the MQTT clients sending it are not
read until half of it is written, so the server's memory stays bounded and
TCP holds the clients back. Every point they sent is stored, at QoS 0 and 1."""

import json
import subprocess

import pytest

import mqtt_support as m
from rest_support import Rest, metric, poll

DEVICES = 4
MESSAGES = 10_000
KEYS = 10
LIMIT_MB = 1


# Plain TCP is read by the broker's own epoll loop, TLS through Asio: each
# pauses and resumes in its own way.
@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_flood_is_paused_not_dropped_and_memory_stays_bounded(make_trellis, tmp_path, transport):
    # The writer writes every 100 ms and never sooner, so the flood fills the
    # backlog between writes however fast this machine stores.
    settings = {"telemetry.max_backlog_mb": LIMIT_MB, "telemetry.batch_size": 1_000_000,
                "telemetry.flush_interval_ms": 100}
    client_args = []
    if transport == "tls":
        certs = m.make_certs(str(tmp_path / "certs"))
        settings.update({"mqtt.tls.cert": certs["server.pem"], "mqtt.tls.key": certs["server.key"]})
        client_args = ["--cafile", certs["ca.pem"]]
    t = make_trellis(settings=settings).start()
    port = t.mqtt_port if transport == "tcp" else t.port("mqtt.tls_port")
    rest = Rest(t.http_port)
    lines = tmp_path / "lines.txt"
    lines.write_text("".join(json.dumps({f"k{k}": i * KEYS + k for k in range(KEYS)}) + "\n"
                             for i in range(MESSAGES)))
    # mosquitto_pub -l sends one message per line, as fast as the broker takes them.
    procs = []
    for d in range(DEVICES):
        with open(lines, "rb") as stdin:
            procs.append(subprocess.Popen(
                ["mosquitto_pub", "-h", m.HOST, "-p", str(port), *client_args, "-i", f"flood-{d}",
                 "-t", f"flood-{d}/messages/json", "-q", str(d % 2), "-l"],
                stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err.decode(errors="replace")

    expected = DEVICES * MESSAGES * KEYS
    poll(lambda: metric(rest, "trellis_telemetry_points_stored_total") == expected, timeout=180)
    # The backlog filled and the senders were paused, not cut off or dropped from.
    assert metric(rest, "trellis_telemetry_backlog_full_total") >= 1
    assert metric(rest, "trellis_mqtt_reads_paused_total") >= 1
    assert metric(rest, "trellis_telemetry_points_dropped_total") == 0
    # The writer counts a batch stored a moment before it leaves the backlog.
    poll(lambda: metric(rest, "trellis_telemetry_backlog_bytes") == 0)
    # Past the limit by at most what was read before the pause took hold (one
    # message per client) and the points parsed from what was queued; far short
    # of the whole flood, which is over 30 MiB by the same estimate.
    peak = metric(rest, "trellis_telemetry_backlog_peak_bytes")
    assert peak < 8 * LIMIT_MB << 20, peak
    # Each device's last message is stored last.
    for d in range(DEVICES):
        status, body = rest.get(f"/api/v1/devices/flood-{d}/telemetry?keys=k0&limit=1&order=desc")
        assert status == 200, body
        assert [p["value"] for p in body["items"]] == [(MESSAGES - 1) * KEYS], body
    rest.close()
