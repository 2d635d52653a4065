import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PostgreSQL without a server, for development: PGlite (PostgreSQL compiled
 * to WebAssembly) keeps its data in a local folder, and a socket server on a
 * loopback port speaks the PostgreSQL protocol to it. Baton then reaches it
 * through the same pg driver, TypeORM entities and migrations as a real
 * server; the socket server queues queries and keeps each transaction to its
 * own connection.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly dataDir: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
    await server.start();
    return new EmbeddedPostgres(db, server, dataDir);
  }

  /** A connection string for the embedded database (trust authentication, loopback only). */
  get url(): string {
    return `postgres://postgres@${this.server.getServerConn()}/postgres`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
