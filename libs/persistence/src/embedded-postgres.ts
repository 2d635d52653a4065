import { mkdirSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { EmbeddedSessionServer } from './embedded/session-server';

/**
 * PostgreSQL without a server, for development: PGlite (PostgreSQL compiled
 * to WebAssembly) keeps its data in a local folder, and Baton's own session
 * server on a loopback port speaks the PostgreSQL protocol to it, giving each
 * connection the behaviour of a session of its own (see
 * EmbeddedSessionServer). Baton then reaches it through the same pg driver,
 * pool, TypeORM entities and migrations as a real server.
 *
 * PGlite is an optional dependency: `npm install` brings it for `npm start`
 * and the tests, and the production image, whose processes always have a
 * DATABASE_URL, leaves it out. So it is loaded here, when asked for, and
 * nowhere else.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: EmbeddedSessionServer,
    readonly dataDir: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const { PGlite } = await loadPglite();
    mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir);
    try {
      return new EmbeddedPostgres(db, await EmbeddedSessionServer.start(db, '127.0.0.1'), dataDir);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** A connection string for the embedded database (trust authentication, loopback only). */
  get url(): string {
    return `postgres://postgres@${this.server.address}/postgres`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}

async function loadPglite(): Promise<typeof import('@electric-sql/pglite')> {
  try {
    return await import('@electric-sql/pglite');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(
      'the embedded PostgreSQL needs the optional package @electric-sql/pglite, which `npm install` brings and the production image leaves out: install it, or set DATABASE_URL',
    );
  }
}
