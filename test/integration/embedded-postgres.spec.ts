/**
 * The embedded PostgreSQL of `npm start` (PGlite behind Baton's session
 * server), driven over the wire as Baton drives it: with pg pools and
 * clients of several connections. It runs in both test modes, since it is
 * what the embedded mode stands on. What it must give each connection is
 * what a PostgreSQL server gives a session, as far as Baton can tell.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Notification, Pool } from 'pg';
import { serialize } from 'pg-protocol';
import { EmbeddedDatabase, startEmbeddedDatabase } from '../support/embedded-database';
import { queryOnce } from '../support/services';
import { waitFor } from '../support/wait-for';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

describe('embedded PostgreSQL (PGlite behind its session server)', () => {
  let db: EmbeddedDatabase;
  const pools: Pool[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    db = await startEmbeddedDatabase('baton-embedded-server');
    await query('CREATE TABLE marks (id serial PRIMARY KEY, label text NOT NULL)');
  });

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
    await query('TRUNCATE marks');
  });

  afterAll(async () => {
    await db?.stop();
  });

  function pool(size: number, idleTimeoutMillis = 10_000): Pool {
    const created = new Pool({ connectionString: db.url, max: size, idleTimeoutMillis });
    pools.push(created);
    return created;
  }

  async function client(): Promise<Client> {
    const created = new Client({ connectionString: db.url });
    created.on('error', () => undefined); // a test cuts some of them
    await created.connect();
    clients.push(created);
    return created;
  }

  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => queryOnce<T>(db.url, sql, params);

  const labels = async () => (await query<{ label: string }>('SELECT label FROM marks ORDER BY id')).map((row) => row.label);

  it('lets every connection prepare the same statement name, each getting its own answers', async () => {
    const shared = pool(10);
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, index) => shared.query<{ n: number }>({ name: 'baton-same-name', text: 'SELECT $1::int AS n', values: [index] })),
    );
    expect(answers.map((answer) => answer.rows[0].n)).toEqual(Array.from({ length: 60 }, (_, index) => index));
    expect(shared.totalCount).toBeGreaterThan(1);
  });

  it('lets a connection that replaces an idle one prepare the same name again', async () => {
    const idling = pool(1, 50);
    await expect(idling.query({ name: 'baton-again', text: 'SELECT 1 AS n' })).resolves.toMatchObject({ rows: [{ n: 1 }] });
    await waitFor('the idle connection to close', () => (idling.totalCount === 0 ? true : undefined), 5_000, 20);
    await expect(idling.query({ name: 'baton-again', text: 'SELECT 2 AS n' })).resolves.toMatchObject({ rows: [{ n: 2 }] });
  });

  it('keeps other connections out of an open transaction, and shows them its commit only', async () => {
    const writer = await client();
    const reader = await client();
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO marks (label) VALUES ('in a transaction')`);
    let seen: string[] | undefined;
    const read = reader.query<{ label: string }>('SELECT label FROM marks').then((answer) => (seen = answer.rows.map((row) => row.label)));
    // The reader's query waits while the transaction is open: it has not answered after the writer's next round trip.
    await writer.query('SELECT 1');
    expect(seen).toBeUndefined();
    await writer.query('COMMIT');
    await read;
    expect(seen).toEqual(['in a transaction']);
  });

  it('rolls back the transaction of a connection that goes away, and lets the others go on', async () => {
    const doomed = await client();
    await doomed.query('BEGIN');
    await doomed.query(`INSERT INTO marks (label) VALUES ('never committed')`);
    const waiting = query('SELECT count(*)::int AS count FROM marks');
    (doomed as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await expect(waiting).resolves.toEqual([{ count: 0 }]);
    expect(await labels()).toEqual([]);
  });

  it('rolls back an exchange cut off before its Sync, rather than committing it', async () => {
    const doomed = await client();
    const stream = (doomed as unknown as { connection: { stream: NodeJS.ReadWriteStream & { destroy(): void } } }).connection.stream;
    // Parse, Bind and Execute without the Sync that would end the exchange: the
    // INSERT runs (its CommandComplete comes back) in an exchange left open.
    const executed = new Promise<void>((resolve) => {
      let answer = '';
      stream.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (answer.includes('INSERT 0 1')) resolve();
      });
    });
    stream.write(Buffer.concat([serialize.parse({ text: `INSERT INTO marks (label) VALUES ('half sent')` }), serialize.bind({}), serialize.execute({})]));
    await executed;
    stream.destroy();
    expect(await labels()).toEqual([]);
  });

  it('delivers a notification to the connections that listen on its channel, and to no other', async () => {
    const listener = await client();
    const bystander = await client();
    const heard: Notification[] = [];
    const strayed: Notification[] = [];
    listener.on('notification', (notification) => heard.push(notification));
    bystander.on('notification', (notification) => strayed.push(notification));
    await listener.query('LISTEN baton_test_channel');

    const notifier = pool(2);
    await notifier.query(`SELECT pg_notify('baton_test_channel', 'from the pool')`);
    await bystander.query(`NOTIFY baton_test_channel, 'from a bystander'`);
    await notifier.query(`SELECT pg_notify('another_channel', 'nobody listens')`);
    const transaction = await notifier.connect();
    await transaction.query('BEGIN');
    await transaction.query(`NOTIFY baton_test_channel, 'on commit'`);
    await transaction.query('COMMIT');
    transaction.release();
    await listener.query(`NOTIFY baton_test_channel, 'to itself'`);

    await waitFor('four notifications', () => (heard.length >= 4 ? true : undefined), 5_000, 10);
    expect(heard.map(({ channel, payload }) => `${channel}: ${payload}`)).toEqual([
      'baton_test_channel: from the pool',
      'baton_test_channel: from a bystander',
      'baton_test_channel: on commit',
      'baton_test_channel: to itself',
    ]);
    expect(strayed).toEqual([]);

    await listener.query('UNLISTEN baton_test_channel');
    await bystander.query(`NOTIFY baton_test_channel, 'after unlisten'`);
    await listener.query('SELECT 1');
    expect(heard).toHaveLength(4);
  });

  it('leaves the production processes loadable without PGlite, and says what is missing when it is asked for', async () => {
    // What the image does: @electric-sql/pglite is an optional dependency it leaves out.
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === '@electric-sql/pglite') throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      const persistence = require('./dist/libs/persistence/src/index.js');
      require('./dist/apps/api/src/api.module.js');
      require('./dist/apps/worker/src/worker.module.js');
      persistence.EmbeddedPostgres.start('/nonexistent').then(
        () => { console.log('started'); process.exit(1); },
        (error) => { console.log(error.message); process.exit(0); },
      );`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT });
    expect(stdout.trim()).toBe(
      'the embedded PostgreSQL needs the optional package @electric-sql/pglite, which `npm install` brings and the production image leaves out: install it, or set DATABASE_URL',
    );
  });
});
