import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { BatonConfig } from '@baton/config';
import { describeError } from '@baton/observability';
import { backoffDelay, sleep } from '@baton/resilience';
import { Topology } from '../topology';

/** How long a connection attempt may take, TCP connect and AMQP handshake together. */
const HANDSHAKE_TIMEOUT_MS = 5_000;

export type ConnectListener = (connection: ChannelModel) => Promise<void>;

const RECONNECT_BASE_MS = 250;
const RECONNECT_CAP_MS = 10_000;

/**
 * The process's one connection to RabbitMQ. It connects in the background,
 * declares the topology, then lets publishers and consumers open their
 * channels; when the connection drops it does all of that again, with
 * capped, jittered backoff, until the process closes it.
 */
@Injectable()
export class AmqpConnection implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RabbitMQ');
  private readonly listeners: ConnectListener[] = [];
  private connection?: ChannelModel;
  private connecting?: Promise<void>;
  private closing = false;
  /** The nodes tried in turn: RABBITMQ_URLS, else RABBITMQ_URL alone. */
  private readonly nodes: readonly string[];
  /** The node of the next attempt: after a connection is lost, the node after the one it was to. */
  private nextNode = 0;
  private connectedNode?: string;

  constructor(
    private readonly config: BatonConfig,
    private readonly topology: Topology,
  ) {
    this.nodes = (config.RABBITMQ_URLS ?? [config.RABBITMQ_URL!]).map((url) => withHeartbeat(url, config.RABBITMQ_HEARTBEAT_SEC));
  }

  /** `host:port` of the node connected to (no credentials); undefined while not connected. */
  get node(): string | undefined {
    return this.connection ? this.connectedNode : undefined;
  }

  get isConnected(): boolean {
    return this.connection !== undefined;
  }

  /** Runs `work` on a short-lived channel of the current connection. */
  async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    if (!this.connection) throw new Error('not connected to RabbitMQ');
    const channel = await this.connection.createChannel();
    // A failed passive check closes the channel with an error we have already caught.
    channel.on('error', () => undefined);
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Runs `listener` on every (re)connection, after the topology is declared; at once if connected now. */
  onConnect(listener: ConnectListener): void {
    this.listeners.push(listener);
    if (this.connection) void this.runListener(this.connection, listener);
  }

  onApplicationBootstrap(): void {
    void this.start();
  }

  /** Starts connecting in the background; resolves once the first connection is up. */
  start(): Promise<void> {
    this.connecting ??= this.connectLoop();
    return this.connecting;
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      let connection: ChannelModel | undefined;
      const index = this.nextNode;
      const url = this.nodes[index];
      // Whatever happens to this connection, the next attempt goes to the next node.
      this.nextNode = (index + 1) % this.nodes.length;
      try {
        connection = await amqp.connect(url, {
          clientProperties: { connection_name: `baton:${process.pid}` },
          // Heartbeats start only once the connection is open: a node behind a
          // partition (its SYN, or the handshake, unanswered) would otherwise
          // hold the attempt for the OS's connect timeout, two minutes,
          // before the next node is tried.
          timeout: HANDSHAKE_TIMEOUT_MS,
          // Nagle's algorithm (amqplib leaves it on) holds a small publish or
          // ack back until the previous segment is acknowledged, which the
          // peer's delayed ACK can put off for tens of milliseconds.
          noDelay: true,
        });
        const setup = await connection.createChannel();
        await this.topology.declare(setup);
        await setup.close();
        this.adopt(connection, hostOf(url));
        for (const listener of this.listeners) await this.runListener(connection, listener);
        this.logger.log(`connected to RabbitMQ at ${hostOf(url)}${this.nodes.length > 1 ? ` (node ${index + 1} of ${this.nodes.length})` : ''}, topology declared`);
        return;
      } catch (error) {
        // Forget it first, so that its close event does not start a second loop.
        if (this.connection === connection) this.connection = undefined;
        await connection?.close().catch(() => undefined);
        const delay = backoffDelay(attempt, RECONNECT_BASE_MS, RECONNECT_CAP_MS);
        if (/PRECONDITION_FAILED/.test(describeError(error))) {
          // Retrying cannot help until an operator acts; say exactly what to fix.
          this.logger.error(
            `RabbitMQ refused Baton's topology (${describeError(error)}): an existing queue has other arguments. ` +
              `JOB_DELIVERY_LIMIT must match the deployed work queues (change it through a RabbitMQ policy); retrying in ${delay} ms`,
          );
        } else {
          this.logger.warn(`cannot connect to RabbitMQ at ${hostOf(url)} (${describeError(error)}); retrying in ${delay} ms${this.nodes.length > 1 ? ` at ${hostOf(this.nodes[this.nextNode])}` : ''}`);
        }
        await sleep(delay);
      }
    }
  }

  private adopt(connection: ChannelModel, node: string): void {
    this.connection = connection;
    this.connectedNode = node;
    connection.on('error', (error) => this.logger.warn(`connection error: ${describeError(error)}`));
    connection.on('close', () => {
      if (this.connection !== connection) return;
      this.connection = undefined;
      if (this.closing) return;
      this.logger.warn(`connection to RabbitMQ at ${node} lost; reconnecting`);
      this.connecting = this.connectLoop();
    });
  }

  private async runListener(connection: ChannelModel, listener: ConnectListener): Promise<void> {
    try {
      await listener(connection);
    } catch (error) {
      // A channel that cannot be set up leaves the connection useless to its
      // owner; closing it makes every owner start over on a fresh one.
      this.logger.error(`channel setup failed (${describeError(error)}); reconnecting`);
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

/**
 * The URL with Baton's heartbeat: amqplib reads it from the query string,
 * and, left at 0, takes the broker's (60 s on RabbitMQ), so a partitioned
 * peer would go unnoticed for two minutes. RABBITMQ_HEARTBEAT_SEC replaces
 * any `heartbeat` the URL carries.
 */
function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
}

/** `host:port` of an AMQP URL, for logs: never its credentials. */
function hostOf(url: string): string {
  const { hostname, port, protocol } = new URL(url);
  return `${hostname}:${port || (protocol === 'amqps:' ? 5671 : 5672)}`;
}
