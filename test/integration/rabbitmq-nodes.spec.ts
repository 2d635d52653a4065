/**
 * A process's connection to a cluster's nodes (RABBITMQ_URLS) and its
 * heartbeat (RABBITMQ_HEARTBEAT_SEC), on the machine's RabbitMQ. The other
 * "node" is a TCP server of the test's own that counts the connections it
 * is offered and closes each before the AMQP handshake (a node that is
 * down, as a client sees it), or holds each without a word (a node behind
 * a half-open partition, the handshake unanswered).
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { createServer, Server, Socket } from 'node:net';
import { promisify } from 'node:util';
import { loadConfig } from '@baton/config';
import { AmqpConnection, Topology } from '@baton/messaging';
import { RABBITMQCTL } from '../support/env';
import { describeWithServices } from '../support/mode';
import { createTestVhost, TestVhost } from '../support/services';
import { waitFor } from '../support/wait-for';

const run = promisify(execFile);

/** A TCP listener that refuses AMQP: every connection is counted, and closed at once or (`silent`) held unanswered. */
class DeadNode {
  attempts = 0;
  private readonly held = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async start(behaviour: 'close' | 'silent' = 'close'): Promise<DeadNode> {
    const server = createServer();
    const node = new DeadNode(server);
    server.on('connection', (socket: Socket) => {
      node.attempts++;
      if (behaviour === 'close') socket.destroy();
      else node.held.add(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return node;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    for (const socket of this.held) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface BrokerConnection {
  vhost: string;
  timeout: number;
}

async function brokerConnections(vhost: string): Promise<BrokerConnection[]> {
  const { stdout } = await run(RABBITMQCTL, ['list_connections', 'vhost', 'timeout', '--formatter', 'json', '--quiet']);
  return (JSON.parse(stdout) as BrokerConnection[]).filter((connection) => connection.vhost === vhost);
}

describeWithServices('connects to the machine\'s RabbitMQ and reads its connections with rabbitmqctl', 'RABBITMQ_URLS and RABBITMQ_HEARTBEAT_SEC', () => {
  let vhost: TestVhost;
  let dead: DeadNode;
  const connections: AmqpConnection[] = [];

  const connect = (env: Record<string, string>): AmqpConnection => {
    const config = loadConfig({ RABBITMQ_URL: vhost.url, ...env }, ['RABBITMQ_URL']);
    const connection = new AmqpConnection(config, new Topology(config));
    connections.push(connection);
    return connection;
  };
  const deadUrl = () => `amqp://guest:guest@127.0.0.1:${dead.port}/${encodeURIComponent(vhost.name)}`;

  beforeAll(async () => {
    vhost = await createTestVhost('baton_nodes');
  });

  beforeEach(async () => {
    dead = await DeadNode.start();
  });

  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close();
    await dead.close();
  });

  afterAll(async () => {
    await vhost?.drop();
  });

  it('tries the nodes in turn, from the first, and connects to the one that answers', async () => {
    const connection = connect({ RABBITMQ_URLS: `${deadUrl()},${vhost.url}` });
    await connection.start();
    expect(dead.attempts).toBe(1);
    expect(connection.node).toBe(`127.0.0.1:${new URL(vhost.url).port || 5672}`);
  });

  it('gives up on a node that leaves its handshake unanswered, and connects to the next', async () => {
    await dead.close();
    dead = await DeadNode.start('silent');
    const connection = connect({ RABBITMQ_URLS: `${deadUrl()},${vhost.url}` });
    await connection.start();
    expect(dead.attempts).toBe(1);
    expect(connection.node).toBe(`127.0.0.1:${new URL(vhost.url).port || 5672}`);
  });

  it('after losing its connection, tries the next node first, then comes back round', async () => {
    const connection = connect({ RABBITMQ_URLS: `${vhost.url},${deadUrl()}` });
    await connection.start();
    expect(dead.attempts).toBe(0);
    await run(RABBITMQCTL, ['close_all_connections', '-p', vhost.name, 'closed by the test']);
    await waitFor('a reconnection by way of the next node', () => (dead.attempts === 1 && connection.node !== undefined ? true : undefined), 15_000);
    expect(await brokerConnections(vhost.name)).toHaveLength(1);
  });

  it('asks for RABBITMQ_HEARTBEAT_SEC, which the broker agrees to', async () => {
    await connect({ RABBITMQ_HEARTBEAT_SEC: '7' }).start();
    expect((await brokerConnections(vhost.name)).map((connection) => connection.timeout)).toEqual([7]);
  });

  it('asks for 15 seconds by default, whatever heartbeat the URL carries', async () => {
    await connect({ RABBITMQ_URL: `${vhost.url}?heartbeat=0` }).start();
    expect((await brokerConnections(vhost.name)).map((connection) => connection.timeout)).toEqual([15]);
  });
});
