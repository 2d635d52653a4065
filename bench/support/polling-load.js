'use strict';
// Accepts beside polls, as mobile backends do: `connections` keep-alive
// sockets POST as fast as the server answers (a closed loop, like
// autocannon), and every 202 schedules one GET of the job's status URL at
// each of `pollAfterMs` after it, on sockets of their own. With no offsets
// it is the accept load alone.
//
//   node polling-load.js '{"url":…,"path":"/v1/workouts","connections":100,"pollAfterMs":[1000,2000,3000],
//                          "windows":[2,3,3],"headers":{…},"body":"…"}'
//
// Runs one window after another (seconds each) and prints one JSON line as
// each ends, the moment its counts are taken: {"window","accepted","acceptFailed",
// "polls","pollFailed","failures"}. The caller reads its own counters (the
// database's) on each line. Polls still due at the end are dropped.

const http = require('node:http');

const { url, path, connections, pollAfterMs, windows, headers, body } = JSON.parse(process.argv[2]);
const target = new URL(url);
const payload = Buffer.from(body);
const acceptAgent = new http.Agent({ keepAlive: true, maxSockets: connections });
const pollAgent = new http.Agent({ keepAlive: true, maxSockets: connections });
const timers = new Set();
let counts = fresh();
let running = true;

function fresh() {
  return { accepted: 0, acceptFailed: 0, polls: 0, pollFailed: 0, failures: {} };
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
  send('POST', path, acceptAgent, payload, (status, answer) => {
    if (!running) return;
    if (status === 202) {
      counts.accepted++;
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
    accept();
  });
}

function runWindow(index) {
  setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ window: index, ...counts })}\n`);
    counts = fresh();
    if (index + 1 < windows.length) return runWindow(index + 1);
    running = false;
    for (const timer of timers) clearTimeout(timer);
    acceptAgent.destroy();
    pollAgent.destroy();
  }, windows[index] * 1000);
}

for (let i = 0; i < connections; i++) accept();
runWindow(0);
