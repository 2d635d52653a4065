'use strict';
// A steady, open-model load: request i leaves at i / rate seconds after the
// start, whatever the answers' latency, on up to `connections` keep-alive
// sockets. autocannon's rate (-R) is a per-second quota that each connection
// spends as fast as it can at the top of every second: bursts, not a steady
// rate. A request's latency counts from the moment it was due, so a server
// that falls behind pays for the wait (no coordinated omission).
//
//   node paced-load.js '{"url":…,"rate":500,"seconds":30,"connections":20,"headers":{…},"body":"…"}'
//
// Prints one JSON line: {"rps","p50","p99","ok","failed","failures"}.

const http = require('node:http');

const { url, rate, seconds, connections, headers, body } = JSON.parse(process.argv[2]);
const target = new URL(url);
const payload = Buffer.from(body);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const total = Math.round(rate * seconds);
const latencies = [];
let ok = 0;
let failed = 0;
/** What the failures were: status codes and connection error codes, with counts. */
const failures = {};
let sent = 0;
let settled = 0;
const start = performance.now();

function send(dueAt) {
  const request = http.request(
    {
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method: 'POST',
      agent,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': payload.length },
    },
    (response) => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode >= 200 && response.statusCode < 300) ok++;
        else fail(String(response.statusCode));
        settle(dueAt);
      });
    },
  );
  request.on('error', (error) => {
    fail(error.code ?? error.message);
    settle(dueAt);
  });
  request.end(payload);
}

function fail(reason) {
  failed++;
  failures[reason] = (failures[reason] ?? 0) + 1;
}

function settle(dueAt) {
  latencies.push(performance.now() - dueAt);
  if (++settled === total) report();
}

function tick() {
  const elapsed = performance.now() - start;
  // Everything due by now leaves now: a late timer catches up instead of lowering the rate.
  while (sent < total && (sent * 1000) / rate <= elapsed) {
    send(start + (sent * 1000) / rate);
    sent++;
  }
  if (sent < total) setTimeout(tick, Math.max(0, (sent * 1000) / rate - (performance.now() - start)));
}

function report() {
  latencies.sort((a, b) => a - b);
  const at = (p) => Math.round(10 * latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]) / 10;
  const elapsed = (performance.now() - start) / 1000;
  process.stdout.write(`${JSON.stringify({ rps: total / elapsed, p50: at(50), p99: at(99), ok, failed, failures })}\n`);
  agent.destroy();
}

tick();
