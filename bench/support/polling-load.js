'use strict';
// Accepts beside polls, as mobile backends do: POSTs at `acceptRate` a
// second, sent on schedule whether or not earlier ones were answered (an
// open loop, as backends' users submit), over at most `connections`
// keep-alive sockets; and every 202 schedules one GET of the job's status
// URL at each of `pollAfterMs` after it, on sockets of their own. With no
// offsets it is the accept load alone.
//
//   node polling-load.js '{"url":…,"path":"/v1/workouts","connections":100,"acceptRate":500,
//                          "pollAfterMs":[1000,2000,3000],"windows":[2,3,3],"headers":{…},"body":"…"}'
//
// Runs one window after another (seconds each) and prints one JSON line as
// each ends, the moment its counts are taken: {"window","accepted","acceptFailed",
// "acceptP99Ms","polls","pollFailed","failures"}. The caller reads its own
// counters (the database's) on each line. Polls still due at the end are dropped.

const http = require('node:http');

const { url, path, connections, acceptRate, pollAfterMs, windows, headers, body } = JSON.parse(process.argv[2]);
/** Accepts are sent on a 10 ms tick, as many each as the rate owes by then. */
const TICK_MS = 10;
const target = new URL(url);
const payload = Buffer.from(body);
const acceptAgent = new http.Agent({ keepAlive: true, maxSockets: connections });
const pollAgent = new http.Agent({ keepAlive: true, maxSockets: connections });
const timers = new Set();
let counts = fresh();
let running = true;

function fresh() {
  return { accepted: 0, acceptFailed: 0, polls: 0, pollFailed: 0, failures: {}, latencies: [] };
}

function p99(latencies) {
  if (latencies.length === 0) return null;
  const sorted = latencies.sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
}

function fail(kind, reason) {
  counts[kind]++;
  counts.failures[reason] = (counts.failures[reason] ?? 0) + 1;
}

/** One request; calls back with the status code (0 for a connection error) and the body. */
function send(method, requestPath, agent, data, done) {
  const request = http.request(
    {
      host: target.hostname,
      port: target.port,
      path: requestPath,
      method,
      agent,
      headers: data ? { ...headers, 'content-type': 'application/json', 'content-length': data.length } : headers,
    },
    (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => done(response.statusCode, Buffer.concat(chunks)));
    },
  );
  request.on('error', (error) => done(0, error.code ?? error.message));
  request.end(data);
}

function poll(statusUrl) {
  send('GET', statusUrl, pollAgent, undefined, (status) => {
    if (!running) return;
    if (status === 200) counts.polls++;
    else fail('pollFailed', `GET ${status || 'error'}`);
  });
}

function accept() {
  if (!running) return;
  const sentAt = performance.now();
  send('POST', path, acceptAgent, payload, (status, answer) => {
    if (!running) return;
    if (status === 202) {
      counts.accepted++;
      counts.latencies.push(performance.now() - sentAt);
      const { statusUrl } = JSON.parse(answer.toString('utf8'));
      for (const after of pollAfterMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          poll(statusUrl);
        }, after);
        timers.add(timer);
      }
    } else {
      fail('acceptFailed', `POST ${status || answer}`);
    }
  });
}

function runWindow(index) {
  setTimeout(() => {
    const { latencies, ...window } = counts;
    process.stdout.write(`${JSON.stringify({ window: index, ...window, acceptP99Ms: p99(latencies) })}\n`);
    counts = fresh();
    if (index + 1 < windows.length) return runWindow(index + 1);
    running = false;
    clearInterval(pacer);
    for (const timer of timers) clearTimeout(timer);
    acceptAgent.destroy();
    pollAgent.destroy();
  }, windows[index] * 1000);
}

const started = performance.now();
let sent = 0;
const pacer = setInterval(() => {
  const owed = Math.floor(((performance.now() - started) * acceptRate) / 1000) - sent;
  for (let i = 0; i < owed; i++) accept();
  sent += owed;
}, TICK_MS);
runWindow(0);
