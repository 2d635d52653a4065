import { createConnection, createServer, Server, Socket } from 'node:net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/**
 * A PostgreSQL-protocol proxy that lets one client connection at a time talk
 * to an embedded PGlite, from its first message to the ReadyForQuery that
 * ends it, and for a whole transaction block.
 *
 * PGlite is a single backend. Its socket server queues the messages of
 * every connection and keeps an open transaction to its own connection, but
 * it does not keep an extended-protocol exchange (Parse, Bind, Execute,
 * Sync) together: another connection's messages can run in between and
 * replace the unnamed statement. Baton's `npm start` avoids that with a pool
 * of one connection. A test suite has more clients (the standalone process's
 * pool, the test's own queries, a TypeORM pool of 20): without the gate, 20
 * concurrent requests to the standalone process get answers 500 and 503.
 * The gate changes no query and no answer; it only keeps whole exchanges and
 * transactions apart, which PGlite runs one at a time anyway.
 */
export class PgGate {
  private readonly connections = new Set<GateConnection>();
  private readonly waiting: GateConnection[] = [];
  private holder?: GateConnection;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly upstream: { host: string; port: number },
  ) {}

  static async start(upstream: { host: string; port: number }): Promise<PgGate> {
    let gate!: PgGate;
    const server = createServer((client) => gate.accept(client));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    gate = new PgGate(server, port, upstream);
    return gate;
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.close();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    const connection = new GateConnection(this, client, createConnection(this.upstream));
    this.connections.add(connection);
  }

  /** Called by a connection that has a message to send; `granted` runs once it holds the gate. */
  acquire(connection: GateConnection): void {
    if (this.holder === connection || this.waiting.includes(connection)) return;
    if (this.holder === undefined) {
      this.holder = connection;
      connection.granted();
    } else {
      this.waiting.push(connection);
    }
  }

  release(connection: GateConnection): void {
    const index = this.waiting.indexOf(connection);
    if (index >= 0) this.waiting.splice(index, 1);
    if (this.holder !== connection) return;
    this.holder = undefined;
    const next = this.waiting.shift();
    if (next) {
      this.holder = next;
      next.granted();
    }
  }

  closed(connection: GateConnection): void {
    this.connections.delete(connection);
    this.release(connection);
  }
}

interface ClientMessage {
  /** The message type byte, or 'startup' for the startup message, which has none. */
  type: string;
  bytes: Buffer;
}

class GateConnection {
  private fromClient = Buffer.alloc(0);
  private fromServer = Buffer.alloc(0);
  /** Complete client messages waiting for the gate. */
  private readonly pending: ClientMessage[] = [];
  private startupDone = false;
  private holding = false;
  /** The startup message, Syncs and Queries sent whose ReadyForQuery has not come back yet. */
  private outstanding = 0;
  /** Messages of an exchange sent, but not yet its Sync. */
  private midExchange = false;
  private ended = false;

  constructor(
    private readonly gate: PgGate,
    private readonly client: Socket,
    private readonly server: Socket,
  ) {
    client.setNoDelay(true);
    server.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    server.on('data', (chunk: Buffer) => this.onServerData(chunk));
    for (const socket of [client, server]) {
      socket.on('error', () => this.close());
      socket.on('close', () => this.close());
    }
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.client.destroy();
    this.server.destroy();
    this.gate.closed(this);
  }

  granted(): void {
    this.holding = true;
    this.flush();
  }

  private onClientData(chunk: Buffer): void {
    this.fromClient = Buffer.concat([this.fromClient, chunk]);
    for (;;) {
      const message = this.nextClientMessage();
      if (message === undefined) break;
      if (message !== null) this.pending.push(message);
    }
    if (this.pending.length > 0 && !this.ended) {
      if (this.holding) this.flush();
      else this.gate.acquire(this);
    }
  }

  /** The next complete client message; null for one the gate answers itself; undefined when none is complete. */
  private nextClientMessage(): ClientMessage | null | undefined {
    if (this.ended) return undefined;
    if (!this.startupDone) {
      if (this.fromClient.length < 8) return undefined;
      const length = this.fromClient.readInt32BE(0);
      if (this.fromClient.length < length) return undefined;
      const bytes = this.fromClient.subarray(0, length);
      this.fromClient = this.fromClient.subarray(length);
      const code = bytes.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.client.write('N'); // no encryption: the client goes on with a plain startup
        return null;
      }
      if (code === CANCEL_REQUEST) {
        this.close(); // PGlite has no backend to cancel
        return null;
      }
      this.startupDone = true;
      return { type: 'startup', bytes };
    }
    if (this.fromClient.length < 5) return undefined;
    const length = 1 + this.fromClient.readInt32BE(1);
    if (this.fromClient.length < length) return undefined;
    const bytes = this.fromClient.subarray(0, length);
    this.fromClient = this.fromClient.subarray(length);
    return { type: String.fromCharCode(bytes[0]), bytes };
  }

  /** Sends what is pending; the caller holds the gate. */
  private flush(): void {
    while (this.pending.length > 0 && !this.ended) {
      const { type, bytes } = this.pending.shift()!;
      if (type === 'X') {
        // Terminate: the client is done; closing makes PGlite roll back anything left open.
        this.close();
        return;
      }
      if (type === 'startup' || type === 'S' || type === 'Q') {
        this.outstanding++;
        this.midExchange = false;
      } else {
        this.midExchange = true;
      }
      this.server.write(bytes);
    }
  }

  private onServerData(chunk: Buffer): void {
    this.client.write(chunk);
    this.fromServer = Buffer.concat([this.fromServer, chunk]);
    while (this.fromServer.length >= 5) {
      const length = 1 + this.fromServer.readInt32BE(1);
      if (this.fromServer.length < length) break;
      const type = String.fromCharCode(this.fromServer[0]);
      const status = String.fromCharCode(this.fromServer[5]);
      this.fromServer = this.fromServer.subarray(length);
      if (type === 'Z') this.readyForQuery(status);
    }
  }

  /** ReadyForQuery ends one exchange. Idle ('I') with nothing else under way frees the gate; 'T' and 'E' (in a transaction block) keep it. */
  private readyForQuery(status: string): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (status === 'I' && this.outstanding === 0 && !this.midExchange && this.holding) {
      this.holding = false;
      this.gate.release(this);
      if (this.pending.length > 0) this.gate.acquire(this);
    }
  }
}
