import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy the test can cut: `cut()` drops every connection and refuses
 * new ones, as a database failover would look to Baton; `restore()` lets
 * connections through again. `stall()` forwards nothing more, either way,
 * and closes nothing, as a half-open network partition looks (the bytes wait
 * in the sockets' buffers); `unstall()` delivers them and carries on.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
    /** The address it listens on: loopback, or another address of this machine (a network namespace's link). */
    readonly host: string,
  ) {}

  static async start(target: { host: string; port: number }, port = 0, host = '127.0.0.1'): Promise<TcpProxy> {
    const probe = createServer();
    const chosen = await new Promise<number>((resolve) => probe.listen(port, host, () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    const proxy = new TcpProxy(chosen, target, host);
    await proxy.restore();
    return proxy;
  }

  /** A proxy to the host and port of a connection string (PostgreSQL's default port when it names none). */
  static startFor(url: string): Promise<TcpProxy> {
    const { hostname, port } = new URL(url);
    return TcpProxy.start({ host: hostname, port: Number(port || 5432) });
  }

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = this.host;
    proxied.port = String(this.port);
    return proxied.toString();
  }

  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      if (!this.stalled) forward(pair);
      client.on('close', () => {
        this.pairs.delete(pair);
        upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, this.host, resolve));
    this.server = server;
  }

  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  unstall(): void {
    this.stalled = false;
    for (const pair of this.pairs) forward(pair);
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

function forward([client, upstream]: [Socket, Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}
