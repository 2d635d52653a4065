import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Client, Notification } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { BatonConfig } from '@baton/config';
import { describeError } from '@baton/observability';
import { backoffDelay } from '@baton/resilience';
import { CONNECT_TIMEOUT_MS, KEEPALIVE_DELAY_MS } from './data-source';
import { connected, DatabaseConnector } from './database-connector';
import { API_KEY_CHANGES_CHANNEL } from './migrations/1764200000000-api-key-change-notifications';

/** Told of every API key change, and of whether changes are being heard at all. */
export interface ApiKeyChangeSubscriber {
  keyChanged(keyHash: string): void;
  notificationsLive(live: boolean): void;
}

export interface ApiKeyChangeFeedTiming {
  /** How often the feed proves that notifications still arrive. */
  probeIntervalMs: number;
  /** How long a probe may take before the feed counts notifications as lost. */
  probeTimeoutMs: number;
}

const DEFAULT_TIMING: ApiKeyChangeFeedTiming = { probeIntervalMs: 15_000, probeTimeoutMs: 3_000 };
const RETRY_BASE_MS = 250;
const RETRY_CAP_MS = 15_000;
const PROBE_PREFIX = 'probe:';

/** Notifications sent on one connection did not reach the listening one. */
class NotificationsNotArriving extends Error {
  constructor() {
    super('a probe notification did not arrive');
    this.name = 'NotificationsNotArriving';
  }
}

/**
 * Listens on its own PostgreSQL connection (LISTEN needs a session that
 * stays, not a pooled one) for API key changes. It reports itself live only
 * once a probe, sent through the pool as any change would be, has come back,
 * and probes again every few seconds: a pooler in transaction mode, or a
 * connection that died silently, turns the feed off instead of leaving
 * subscribers trusting a channel that no longer speaks.
 */
@Injectable()
export class ApiKeyChangeFeed implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeyChanges');
  private readonly subscribers: ApiKeyChangeSubscriber[] = [];
  private readonly probes = new Map<string, () => void>();
  private client?: Client;
  private live = false;
  private stopped = false;
  private wake?: () => void;
  private running?: Promise<void>;
  private announceStop!: () => void;
  private readonly stopping = new Promise<void>((resolve) => (this.announceStop = resolve));
  private unheardSince?: string;
  private probesLost = 0;

  constructor(
    private readonly config: BatonConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly connector: Pick<DatabaseConnector, 'whenConnected'>,
    private readonly timing: ApiKeyChangeFeedTiming = DEFAULT_TIMING,
  ) {}

  subscribe(subscriber: ApiKeyChangeSubscriber): void {
    this.subscribers.push(subscriber);
  }

  get isLive(): boolean {
    return this.live;
  }

  /** Probes that did not come back in time, since start. */
  get unansweredProbes(): number {
    return this.probesLost;
  }

  onApplicationBootstrap(): void {
    if (this.subscribers.length > 0) this.running = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.announceStop();
    this.wake?.();
    // Ends a connection under way; the loop then closes it and returns.
    await this.client?.end().catch(() => undefined);
    await this.running;
  }

  private async run(): Promise<void> {
    // A process stopped before PostgreSQL was ever reached must not wait for it.
    await Promise.race([this.connector.whenConnected(), this.stopping]);
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.listenUntilLost();
        attempt = 0;
      } catch (error) {
        if (!this.stopped) this.reportUnheard(describeError(error));
      } finally {
        this.setLive(false);
      }
      if (!this.stopped) await this.pause(backoffDelay(attempt, RETRY_BASE_MS, RETRY_CAP_MS));
    }
  }

  /** Connects, listens and proves it hears; returns when the connection is lost or a probe goes unanswered. */
  private async listenUntilLost(): Promise<void> {
    const client = new Client({
      connectionString: this.config.DATABASE_URL,
      application_name: `${(this.dataSource.options as PostgresConnectionOptions).applicationName ?? 'baton'}-key-changes`,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    });
    this.client = client;
    const lost = new Promise<Error>((resolve) => {
      client.on('error', resolve);
      client.on('end', () => resolve(new Error('the connection to PostgreSQL closed')));
    });
    let connectionLost = false;
    let closing = false;
    void lost.then((error) => {
      // Closed by the feed itself (stopping, or after a failed probe): nothing was lost.
      if (closing) return;
      connectionLost = true;
      // Changes made from now on go unheard: stop trusting memory at once, not at the next probe.
      this.setLive(false);
      if (!this.stopped) this.reportUnheard(describeError(error));
      this.wake?.();
    });
    client.on('notification', (message) => this.heard(message));
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEY_CHANGES_CHANNEL}`);
      while (!this.stopped && !connectionLost) {
        await Promise.race([this.probe(), lost.then((error) => Promise.reject(error))]);
        if (!this.live && !connectionLost) {
          this.setLive(true);
          if (this.unheardSince !== undefined) this.logger.log('API key changes are heard again: API keys are cached');
          this.unheardSince = undefined;
        }
        await this.pause(this.timing.probeIntervalMs);
      }
    } finally {
      closing = true;
      this.client = undefined;
      await client.end().catch(() => undefined);
    }
  }

  /** Sends a notification through the pool, as a revocation would be, and waits for it on the listening connection. */
  private async probe(): Promise<void> {
    const nonce = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const echoed = new Promise<void>((resolve, reject) => {
      this.probes.set(nonce, resolve);
      timer = setTimeout(() => {
        this.probesLost++;
        reject(new NotificationsNotArriving());
      }, this.timing.probeTimeoutMs);
    });
    // Rejected by the race in listenUntilLost if the connection goes first: never unhandled.
    echoed.catch(() => undefined);
    try {
      await connected(this.dataSource).query('SELECT pg_notify($1, $2)', [API_KEY_CHANGES_CHANNEL, PROBE_PREFIX + nonce]);
      await echoed;
    } finally {
      clearTimeout(timer);
      this.probes.delete(nonce);
    }
  }

  private heard(message: Notification): void {
    if (message.channel !== API_KEY_CHANGES_CHANNEL || message.payload === undefined) return;
    if (message.payload.startsWith(PROBE_PREFIX)) {
      this.probes.get(message.payload.slice(PROBE_PREFIX.length))?.();
      return;
    }
    for (const subscriber of this.subscribers) subscriber.keyChanged(message.payload);
  }

  private setLive(live: boolean): void {
    if (this.live === live) return;
    this.live = live;
    for (const subscriber of this.subscribers) subscriber.notificationsLive(live);
  }

  /** One warning per outage, not one per retry. */
  private reportUnheard(reason: string): void {
    if (this.unheardSince !== undefined) return;
    this.unheardSince = reason;
    this.logger.warn(`API key changes are not heard (${reason}): every request looks its API key up until they are`);
  }

  /** Waits, or less if the feed stops or its connection is lost. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
