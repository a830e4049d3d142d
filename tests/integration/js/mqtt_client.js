// One MQTT.js client driven by the Python tests. Argument: a JSON plan
//   {url, options, subscribe: [[filter, qos], ...], expect: n,
//    publish: [{topic, payload, qos, retain}, ...]}
// It connects, subscribes, prints "subscribed", prints each message as a JSON
// line {"message": {topic, payload, qos, retain}}, and once `expect`
// messages are in, publishes its list (waiting for each acknowledgement),
// prints "done" and disconnects. Any error prints {"error": ...} and exits 1.
'use strict';

const fs = require('fs');
const mqtt = require('mqtt');

const plan = JSON.parse(process.argv[2]);
const options = Object.assign({ reconnectPeriod: 0, connectTimeout: 10000 }, plan.options || {});
if (options.caFile) {
  options.ca = fs.readFileSync(options.caFile);
  delete options.caFile;
}

function say(obj) {
  process.stdout.write((typeof obj === 'string' ? obj : JSON.stringify(obj)) + '\n');
}

function fail(err) {
  say({ error: String(err && err.message ? err.message : err) });
  process.exit(1);
}

const deadline = setTimeout(() => fail('timed out'), (plan.timeout_s || 60) * 1000);
const client = mqtt.connect(plan.url, options);
let received = 0;
let finishing = false;

async function finish() {
  if (finishing) return;
  finishing = true;
  try {
    for (const p of plan.publish || []) {
      await client.publishAsync(p.topic, p.payload, { qos: p.qos || 0, retain: !!p.retain });
    }
    say('done');
    await client.endAsync();
    clearTimeout(deadline);
  } catch (err) {
    fail(err);
  }
}

client.on('error', fail);
client.on('close', () => {
  if (!finishing) fail('connection closed');
});
client.on('message', (topic, payload, packet) => {
  say({ message: { topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain } });
  received += 1;
  if (received >= (plan.expect || 0)) finish();
});
client.on('connect', async (connack) => {
  say({ connected: { sessionPresent: connack.sessionPresent } });
  try {
    for (const [filter, qos] of plan.subscribe || []) {
      const granted = await client.subscribeAsync(filter, { qos });
      if (granted[0].qos !== qos) fail('granted QoS ' + granted[0].qos + ' for ' + filter);
    }
    say('subscribed');
    if (!plan.expect) finish();
  } catch (err) {
    fail(err);
  }
});
