// Preloaded (NODE_OPTIONS=-r) into a process being profiled: the first
// SIGUSR2 starts V8's sampling profiler, the second writes the profile to
// CPU_PROFILE_PATH. `--cpu-prof` would profile start-up and warm-up as well,
// and Node.js refuses it in NODE_OPTIONS, which is how the benchmark passes
// options to the processes it starts.
'use strict';
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');

const session = new inspector.Session();
session.connect();
let profiling = false;

process.on('SIGUSR2', () => {
  if (!profiling) {
    profiling = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: Number(process.env.CPU_PROFILE_INTERVAL_US || 200) }, () => session.post('Profiler.start')),
    );
    return;
  }
  session.post('Profiler.stop', (error, result) => {
    profiling = false;
    if (error) process.stderr.write(`cpu profile: ${error.message}\n`);
    else writeFileSync(process.env.CPU_PROFILE_PATH, JSON.stringify(result.profile));
  });
});
