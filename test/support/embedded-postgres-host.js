// @ts-check
/**
 * Runs Baton's own EmbeddedPostgres (PGlite behind its socket server, as
 * built in dist/) on the data directory given as the first argument, for one
 * test suite: prints `{"url": ...}` on a line once it accepts connections,
 * and stops it (then exits) on SIGTERM or when the test process goes away
 * (its end of stdin closes).
 *
 * A process of its own rather than the test process: PGlite loads parts of
 * itself with a dynamic import(), which jest's module sandbox refuses
 * without --experimental-vm-modules; and this way the test's event loop
 * never waits on a query, and PGlite's memory goes with the process.
 */
const { join } = require('node:path');

const { EmbeddedPostgres } = require(join(__dirname, '..', '..', 'dist', 'libs', 'persistence', 'src', 'embedded-postgres.js'));

async function main() {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: embedded-postgres-host.js <data directory>');
  const postgres = await EmbeddedPostgres.start(dataDir);
  let stopping;
  const stop = () => {
    stopping ??= postgres.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ url: postgres.url })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
