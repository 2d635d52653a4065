/** The migrations on the real database: the schema they build is the entities', and they run once. */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { runMigrations } from '@baton/persistence';
import { BATON_SCHEMA } from '@baton/jobs';
import { openTestDataSource, TestDatabase } from '../support/services';

describe('migrations (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ db, ds, close } = await openTestDataSource('baton_migrations'));
  });

  afterAll(async () => {
    await close?.();
  });

  it('leave no drift between the entities and the schema', async () => {
    const log = await ds.driver.createSchemaBuilder().log();
    expect(log.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('are recorded, and running them again is a no-op', async () => {
    const before = await ds.query(`SELECT name FROM baton_migrations ORDER BY id`);
    expect(before).toHaveLength(ds.migrations.length);

    await expect(runMigrations(db.url, BATON_SCHEMA)).resolves.toEqual([]);
    await expect(runMigrations(db.url, BATON_SCHEMA)).resolves.toEqual([]);

    await expect(ds.query(`SELECT name FROM baton_migrations ORDER BY id`)).resolves.toEqual(before);
    await expect(ds.showMigrations()).resolves.toBe(false);
  });
});
