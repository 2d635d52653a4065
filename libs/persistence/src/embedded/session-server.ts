import { createServer, Server, Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import {
  backendMessages,
  closedStatement,
  closeStatementMessage,
  executeMessage,
  FrontendMessage,
  FrontendReader,
  listenChanges,
  notificationChannel,
  parsedStatement,
  queryMessage,
  querySql,
  quoteIdentifier,
  SYNC_MESSAGE,
  withSessionNames,
} from './wire-protocol';

/** An Execute of a portal no session can have made: an error that aborts the exchange under way. */
const ABORT_EXCHANGE_MESSAGE = executeMessage('\u0001abandoned');

// Several processes (and a test's own clients) may share one embedded database.
const MAX_CONNECTIONS = 100;

/**
 * Serves one PGlite over the PostgreSQL wire protocol to many connections,
 * each with the behaviour of a session of its own, as far as Baton (and pg,
 * and TypeORM) can tell:
 * - PGlite is a single backend that runs one message at a time. The server
 *   hands it to one session at a time, for a whole exchange (Parse to Sync)
 *   and for a whole transaction block, so that no other connection's
 *   statements run in the middle of either. Connections wait their turn, as
 *   they would wait for a row lock on a real server, only coarser.
 * - Prepared statements and portals get per-session names (see
 *   withSessionNames), so that two connections may prepare the same name.
 * - When a connection goes away, its open transaction is rolled back and its
 *   prepared statements are closed: a new connection (a pool replacing an
 *   idle client) starts clean and may prepare the same names again.
 * - A notification goes to the sessions that LISTEN on its channel, not to
 *   the connection whose commit sent it.
 */
export class EmbeddedSessionServer {
  private readonly sessions = new Set<EmbeddedSession>();
  /** Sessions with work for the backend, in arrival order. */
  private readonly waiting: EmbeddedSession[] = [];
  /** The session the backend is given to until its exchange or transaction ends. */
  private holder?: EmbeddedSession;
  /** Set while pump() runs, cleared in the same turn as it decides to stop: no wake-up falls between. */
  private pumping = false;
  private pumped: Promise<void> = Promise.resolve();
  private nextSessionId = 1;
  private stopping = false;

  private constructor(
    private readonly db: PGlite,
    private readonly server: Server,
  ) {}

  static async start(db: PGlite, host: string): Promise<EmbeddedSessionServer> {
    let sessionServer!: EmbeddedSessionServer;
    const server = createServer((socket) => sessionServer.accept(socket));
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    sessionServer = new EmbeddedSessionServer(db, server);
    return sessionServer;
  }

  /** `host:port` of the listening socket. */
  get address(): string {
    const { address, port } = this.server.address() as { address: string; port: number };
    return `${address}:${port}`;
  }

  /** Stops accepting, drops every connection, and waits for the message under way. */
  async stop(): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of this.sessions) session.socket.destroy();
    await this.pumped;
    await closed;
  }

  /** Called by a session that has work for the backend (messages, or its clean-up). */
  wake(session: EmbeddedSession): void {
    if (session !== this.holder && !this.waiting.includes(session)) this.waiting.push(session);
    if (!this.pumping) this.pumped = this.pump();
  }

  /** Sessions listening on `channel`. */
  listeners(channel: string): EmbeddedSession[] {
    return [...this.sessions].filter((session) => session.listensTo(channel));
  }

  holds(session: EmbeddedSession): boolean {
    return this.holder === session;
  }

  forget(session: EmbeddedSession): void {
    this.sessions.delete(session);
    const index = this.waiting.indexOf(session);
    if (index >= 0) this.waiting.splice(index, 1);
    if (this.holder === session) this.holder = undefined;
  }

  /** Runs one message on the backend; resolves with its whole answer. */
  async execute(message: Buffer): Promise<Buffer> {
    const chunks: Buffer[] = [];
    // Each chunk is a view of PGlite's memory, which the next chunk overwrites: copy it.
    await this.db.runExclusive(() => this.db.execProtocolRawStream(message, { onRawData: (data) => chunks.push(Buffer.from(data)) }));
    return Buffer.concat(chunks);
  }

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    this.sessions.add(new EmbeddedSession(this, socket, `s${this.nextSessionId++}:`));
  }

  /**
   * Gives the backend to one session at a time and runs its messages. A
   * session keeps it while a transaction or an exchange is open, even while
   * its client computes its next statement; the others wait.
   */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.stopping) {
        this.holder ??= this.waiting.shift();
        const session = this.holder;
        if (!session) return;
        const ran = await session.runNext();
        if (ran === 'released') {
          this.holder = undefined;
        } else if (ran === 'waiting') {
          return; // its client's next message wakes the pump again
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}

type Step = 'ran' | 'waiting' | 'released';

/** One client connection: its messages, its names, its state in the protocol. */
class EmbeddedSession {
  private readonly reader = new FrontendReader();
  private readonly pending: Array<{ type: string; bytes: Buffer }> = [];
  /** Statements this session prepared, by their server-side (prefixed) names. */
  private readonly statements = new Set<string>();
  private readonly channels = new Set<string>();
  /** Syncs, Queries and the startup sent whose ReadyForQuery has not come yet. */
  private awaitingReady = 0;
  /** Messages of an extended-protocol exchange sent, and not yet its Sync. */
  private midExchange = false;
  /** Transaction status of the last ReadyForQuery: I (idle), T (in a block) or E (failed block). */
  private transaction = 'I';
  private closed = false;
  private cleanedUp = false;

  constructor(
    private readonly server: EmbeddedSessionServer,
    readonly socket: Socket,
    private readonly prefix: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  listensTo(channel: string): boolean {
    return !this.closed && this.channels.has(channel);
  }

  /** Delivers a notification another session's commit sent. */
  notify(message: Buffer): void {
    if (!this.closed) this.socket.write(message);
  }

  /**
   * Runs this session's next message while it holds the backend, or its
   * clean-up once it is closed. `released` when it no longer needs the
   * backend: no message left, no exchange or transaction open.
   */
  async runNext(): Promise<Step> {
    if (this.closed) {
      await this.cleanUp();
      return 'released';
    }
    const next = this.pending.shift();
    if (!next) return this.idle() ? 'released' : 'waiting';
    try {
      await this.run(next.type, next.bytes);
    } catch (error) {
      // PGlite failed the message itself (not an SQL error, which is an answer): the connection cannot go on.
      this.socket.destroy(error as Error);
      this.close();
    }
    return 'ran';
  }

  private idle(): boolean {
    return this.awaitingReady === 0 && !this.midExchange && this.transaction === 'I';
  }

  private received(chunk: Buffer): void {
    if (this.closed) return;
    this.reader.push(chunk);
    let message: FrontendMessage | undefined;
    try {
      while ((message = this.reader.next()) !== undefined) this.accept(message);
    } catch {
      this.socket.destroy(); // a malformed message: no way to resynchronise
      return;
    }
    if (this.pending.length > 0) this.server.wake(this);
  }

  private accept(message: FrontendMessage): void {
    switch (message.kind) {
      case 'encryption-request':
        this.socket.write('N'); // no encryption: the client goes on with a plain startup
        return;
      case 'cancel-request':
        this.socket.destroy();
        return;
      case 'startup':
        this.pending.push({ type: 'startup', bytes: message.bytes });
        return;
      case 'message':
        if (message.type === 'X') {
          this.socket.end(); // Terminate: the close that follows cleans up
          return;
        }
        this.pending.push({ type: message.type, bytes: withSessionNames(message.type, message.bytes, this.prefix) });
    }
  }

  private async run(type: string, bytes: Buffer): Promise<void> {
    this.track(type, bytes);
    const answer = await this.server.execute(bytes);
    const own: Buffer[] = [];
    for (const message of backendMessages(answer)) {
      if (message.type === 'A') {
        for (const listener of this.server.listeners(notificationChannel(message.bytes))) {
          if (listener === this) own.push(message.bytes);
          else listener.notify(message.bytes);
        }
        continue;
      }
      if (message.type === 'Z') {
        this.awaitingReady = Math.max(0, this.awaitingReady - 1);
        this.transaction = String.fromCharCode(message.bytes[5]);
      }
      own.push(message.bytes);
    }
    if (own.length > 0 && !this.closed) this.socket.write(Buffer.concat(own));
  }

  /** What a message does to the session's state, before it runs. */
  private track(type: string, bytes: Buffer): void {
    switch (type) {
      case 'startup':
      case 'S':
      case 'F':
        this.awaitingReady++;
        this.midExchange = false;
        return;
      case 'Q':
        this.awaitingReady++;
        this.midExchange = false;
        this.trackListens(querySql(bytes));
        return;
      case 'P': {
        const { name, sql } = parsedStatement(bytes);
        if (name !== '') this.statements.add(name);
        this.trackListens(sql);
        this.midExchange = true;
        return;
      }
      case 'C': {
        const name = closedStatement(bytes);
        if (name !== undefined) this.statements.delete(name);
        this.midExchange = true;
        return;
      }
      case 'B':
      case 'D':
      case 'E':
        this.midExchange = true;
    }
  }

  private trackListens(sql: string): void {
    for (const change of listenChanges(sql)) {
      if ('listen' in change) this.channels.add(change.listen);
      else if ('unlisten' in change) this.channels.delete(change.unlisten);
      else this.channels.clear();
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    // The session holding the backend may be in the middle of a message: its clean-up runs after it.
    if (!this.server.holds(this) && this.idle() && this.statements.size === 0 && this.channels.size === 0) {
      this.server.forget(this);
      return;
    }
    this.server.wake(this);
  }

  /**
   * Leaves the backend as a real server would after a disconnection: the
   * exchange ended, the transaction rolled back, the prepared statements
   * closed, and the channels no other session listens to unlistened.
   */
  private async cleanUp(): Promise<void> {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    const steps: Buffer[] = [];
    // An exchange cut off before its Sync: make it fail, so that the Sync rolls
    // back what it did (a real server aborts it with the connection), not commit it.
    if (this.midExchange) steps.push(ABORT_EXCHANGE_MESSAGE, SYNC_MESSAGE);
    if (this.transaction !== 'I' || this.midExchange) steps.push(queryMessage('ROLLBACK'));
    for (const name of this.statements) steps.push(closeStatementMessage(name));
    if (this.statements.size > 0) steps.push(SYNC_MESSAGE);
    const channels = [...this.channels];
    this.channels.clear();
    for (const channel of channels) {
      if (this.server.listeners(channel).length === 0) steps.push(queryMessage(`UNLISTEN ${quoteIdentifier(channel)}`));
    }
    try {
      for (const step of steps) await this.server.execute(step);
    } catch {
      // Nothing more can be done for a backend that refuses these; the next session finds out.
    } finally {
      this.server.forget(this);
    }
  }
}
