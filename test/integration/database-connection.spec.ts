/**
 * A database that is away, on real connections: the failures that mean
 * "unavailable" (and the ones that do not), and a process that starts
 * without PostgreSQL and connects once it answers.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '@baton/config';
import { createDataSource, DatabaseConnector, isDatabaseUnavailable, JobIntakeRepository, JobOperationsRepository } from '@baton/persistence';
import { BATON_SCHEMA } from '@baton/jobs';
import { testMode } from '../support/mode';
import { openTestDataSource, TestDatabase } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { jobFixtures, TENANT } from '../support/job-fixtures';

describe('database connection (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let jobs: JobIntakeRepository;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_database_connection'));
    jobs = new JobIntakeRepository(ds);
  });

  afterAll(async () => {
    await close?.();
  });

  const { newJob, insertJob } = jobFixtures(() => ds);

  describe(isDatabaseUnavailable.name, () => {
    const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/x';

    it('is true for a real connection failure', async () => {
      const unreachable = createDataSource({ url: UNREACHABLE, poolSize: 1, applicationName: 'baton-unreachable-test', schema: BATON_SCHEMA });
      try {
        // Wherever the failure surfaces (initialize or the first query), it is a connection failure.
        const error = await unreachable
          .initialize()
          .then((source) => source.query('SELECT 1'))
          .then(
            () => undefined,
            (failure: unknown) => failure,
          );
        // (pg's socket errors come from Node's own realm, so no instanceof here)
        expect(error).toMatchObject({ code: 'ECONNREFUSED' });
        expect(isDatabaseUnavailable(error)).toBe(true);
      } finally {
        if (unreachable.isInitialized) await unreachable.destroy();
      }
    });

    it('is false for a real SQL syntax error', async () => {
      const error = await ds.query('SELEC 1').then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as { driverError?: { code?: string } }).driverError?.code).toBe('42601');
      expect(isDatabaseUnavailable(error)).toBe(false);
    });

    it('is false for a real constraint violation', async () => {
      const job = await insertJob();
      const error = await jobs.insert({ ...newJob(), id: job.id }).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(false);
    });
  });

  describe(createDataSource.name, () => {
    // PersistenceModule.forRoot relies on this so that the API and the worker
    // start (not ready) while PostgreSQL is away, instead of crashing.
    it('a process starts without PostgreSQL: the connector retries in the background and queries fail as unavailable', async () => {
      const connector = new DatabaseConnector(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }), 'baton-unreachable-test', BATON_SCHEMA);
      try {
        expect(connector.dataSource.isInitialized).toBe(false);
        const error = await new JobOperationsRepository(connector.dataSource).findById('00000000-0000-0000-0000-000000000000', TENANT).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(isDatabaseUnavailable(error)).toBe(true);
      } finally {
        await connector.onApplicationShutdown();
      }
      await connector.whenConnected();
      expect(connector.dataSource.isInitialized).toBe(false);
    });

    // A partitioned network closes no socket and the server's statement_timeout
    // answer never arrives: only the client's own bound ends the wait.
    describe('a statement whose answer does not come (half-open network)', () => {
      let proxy: TcpProxy;
      let stalled: DataSource;

      beforeEach(async () => {
        proxy = await TcpProxy.startFor(db.url);
        stalled = await createDataSource({
          url: proxy.via(db.url),
          poolSize: 1,
          applicationName: 'baton-stalled-test',
          schema: BATON_SCHEMA,
          statementTimeoutMs: 200,
          queryTimeoutMs: 400,
        }).initialize();
      });

      afterEach(async () => {
        proxy.unstall();
        if (stalled.isInitialized) await stalled.destroy();
        await proxy.cut();
      });

      it('fails as unavailable after the query timeout', async () => {
        proxy.stall();
        const error = await stalled.query('SELECT 1').then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(error).toMatchObject({ message: 'Query read timeout' });
        expect(isDatabaseUnavailable(error)).toBe(true);
      });

      it('ends its connection: once answers flow again, the next statement runs on a new session outside any transaction', async () => {
        const [{ pid }] = await stalled.query('SELECT pg_backend_pid() AS pid');
        proxy.stall();
        // Its BEGIN is held; its ROLLBACK would be given up unsent, and the BEGIN delivered later.
        const error = await stalled.transaction((manager) => manager.query('SELECT 1')).then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(isDatabaseUnavailable(error)).toBe(true);
        proxy.unstall();
        const [after] = await stalled.query(`SELECT pg_backend_pid() AS pid, xact_start = query_start AS "ownTransaction" FROM pg_stat_activity WHERE pid = pg_backend_pid()`);
        expect(after).toEqual({ pid: expect.any(Number), ownTransaction: true });
        // PGlite (embedded mode) is a single backend whose pid never changes; there the transaction check above carries the test.
        if (testMode() === 'services') expect(after.pid).not.toBe(pid);
      });
    });

    it('the connector connects once PostgreSQL answers', async () => {
      const connector = new DatabaseConnector(loadConfig({ DATABASE_URL: db.url }), 'baton-connector-test', BATON_SCHEMA);
      await connector.whenConnected();
      expect(connector.dataSource.isInitialized).toBe(true);
      expect(await new JobOperationsRepository(connector.dataSource).findById('00000000-0000-0000-0000-000000000000', TENANT)).toBeNull();
      await connector.onApplicationShutdown();
      expect(connector.dataSource.isInitialized).toBe(false);
    });
  });
});
