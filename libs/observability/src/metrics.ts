import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EXPIRING_STATUSES, JOB_TYPES, WORKER_QUEUE_NAMES } from '@baton/contracts';

export interface QueueSample {
  queue: string;
  messages: number;
  consumers: number;
}

export interface ReadReplicaSample {
  /** host:port, never the URL (it may hold a password). */
  replica: string;
  up: boolean;
  stalenessSeconds: number;
}

export interface OldestPendingSample {
  queue: string;
  ageSeconds: number;
}

/** Buckets for request and job latencies: from a millisecond to ten seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Accept-to-completion spans retries and backlogs: up to an hour. */
const END_TO_END_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Every metric a Baton process exposes on `GET /metrics`. Names follow
 * Prometheus conventions: `baton_` prefix, base units, `_total` counters;
 * the Node.js runtime metrics keep their standard names.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'baton_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly httpRequestsShed = new Counter({
    name: 'baton_http_requests_shed_total',
    help: 'Requests answered 503 unread, by the bound they would have passed: HTTP_MAX_IN_FLIGHT (requests) or HTTP_MAX_IN_FLIGHT_BYTES (bytes).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly httpRequestsInFlight = new Gauge({
    name: 'baton_http_requests_in_flight',
    help: 'Requests the API holds now (probes and scrapes left out), against HTTP_MAX_IN_FLIGHT.',
    registers: [this.registry],
  });
  readonly httpRequestBytesInFlight = new Gauge({
    name: 'baton_http_request_bytes_in_flight',
    help: 'Request body bytes the API holds now, by their Content-Length, against HTTP_MAX_IN_FLIGHT_BYTES.',
    registers: [this.registry],
  });

  readonly jobsAccepted = this.counter('baton_jobs_accepted_total', 'Jobs accepted by the API (committed to PostgreSQL).');
  readonly jobsPublished = this.counter('baton_jobs_published_total', 'Job publishes confirmed by RabbitMQ (first publishes and relay republishes).');
  readonly jobsCompleted = this.counter('baton_jobs_completed_total', 'Jobs completed by a worker.');
  readonly jobsFailed = this.counter('baton_jobs_failed_total', 'Job attempts that failed and were scheduled for a retry.');
  readonly jobsDead = this.counter('baton_jobs_dead_total', 'Jobs that gave up and went to the dead-letter queue.');

  readonly jobsExpired = new Counter({
    name: 'baton_jobs_expired_total',
    help: 'Worker only: finished jobs deleted by retention, by job type and the status they were deleted in (completed, dead, cancelled).',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });

  readonly jobDuration = new Histogram({
    name: 'baton_job_processing_duration_seconds',
    help: 'Time a worker spent on one delivery, by job type and outcome (completed, retry, dead, duplicate, cancelled).',
    labelNames: ['type', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly jobsInFlight = new Gauge({
    name: 'baton_jobs_in_flight',
    help: 'Jobs this worker process is running now.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly jobEndToEnd = new Histogram({
    name: 'baton_job_end_to_end_seconds',
    help: 'Time from the API accepting a job to a worker completing it.',
    labelNames: ['type'] as const,
    buckets: END_TO_END_BUCKETS,
    registers: [this.registry],
  });

  readonly apiKeyNotificationsLive = new Gauge({
    name: 'baton_api_key_notifications_live',
    help: 'API only: 1 while this process hears API key changes from PostgreSQL and so caches keys; 0 while every request looks its key up.',
    registers: [this.registry],
  });

  readonly apiKeyChangesHeard = new Counter({
    name: 'baton_api_key_changes_heard_total',
    help: 'API only: API key changes (revocations, new scopes) heard from PostgreSQL.',
    registers: [this.registry],
  });

  readonly rateLimitWait = new Histogram({
    name: 'baton_worker_rate_limit_wait_seconds',
    help: 'Worker only: time a job waited for its turn under WORKER_RATE_LIMITS before it started, by queue.',
    labelNames: ['queue'] as const,
    buckets: END_TO_END_BUCKETS,
    registers: [this.registry],
  });

  readonly rateLimitShared = new Gauge({
    name: 'baton_worker_rate_limit_shared',
    help: 'Worker only, per rate-limited queue: 1 while the limit is shared with the other replicas through Redis; 0 while this process applies the whole rate on its own (no REDIS_URL, or Redis unreachable).',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly eventsPublished = new Counter({
    name: 'baton_events_published_total',
    help: 'API only: events confirmed by RabbitMQ on baton.events (or handed to the in-process broker), by event type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'baton_webhook_deliveries_total',
    help: 'Worker only: webhook delivery attempts by outcome: succeeded, retry (failed, another attempt scheduled), failed (the schedule ran out, or the endpoint answered 410 or is disabled).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookAttemptDuration = new Histogram({
    name: 'baton_webhook_attempt_duration_seconds',
    help: 'Worker only: time from the start of a webhook attempt to its answer read (or its failure).',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly webhookEndpointsDisabled = new Counter({
    name: 'baton_webhook_endpoints_disabled_total',
    help: 'Worker only: webhook endpoints disabled because they answered 410 Gone.',
    registers: [this.registry],
  });

  readonly scheduleTicks = new Counter({
    name: 'baton_schedule_ticks_total',
    help: "API only: schedules' ticks by job type and outcome: created (a job), skipped (a missed tick the policy dropped, counted up to 1,000 per schedule and pass).",
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly queuePaused = new Gauge({
    name: 'baton_queue_paused',
    help: 'Worker only: 1 for each queue an operator paused (POST /v1/queues/:name/pause, `baton queues pause`), as this worker last read it from PostgreSQL; 0 for the others.',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly readCacheRequests = new Counter({
    name: 'baton_read_cache_requests_total',
    help: 'With REDIS_URL, the API (0 in a worker, which only drops entries): reads of finished jobs, workouts, invoices and invoice PDFs by resource and outcome: hit (answered from Redis), miss (read from PostgreSQL), error (Redis failed or was too slow: read from PostgreSQL).',
    labelNames: ['resource', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly readCacheInvalidations = new Counter({
    name: 'baton_read_cache_invalidations_total',
    help: 'With REDIS_URL: cached entries dropped because their job changed (retry, cancel) or was deleted (retention), by outcome: done, error (Redis failed: the entry lives until READ_CACHE_TTL_SEC).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly databaseReads = new Counter({
    name: 'baton_database_reads_total',
    help: 'API only, with DATABASE_READ_URL: routed reads (a job, workout or invoice by id) by where they were answered (replica, primary) and why: fresh (found on a replica within DATABASE_READ_MIN_AGE_MS), not-found, too-young, no-replica (none reachable and caught up), replica-error.',
    labelNames: ['target', 'reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every job type's series exist from the start, at zero, so that rate()
    // and alerts see a type's first job instead of a series appearing.
    for (const type of JOB_TYPES) {
      for (const counter of [this.jobsAccepted, this.jobsPublished, this.jobsCompleted, this.jobsFailed, this.jobsDead]) counter.inc({ type }, 0);
      for (const status of EXPIRING_STATUSES) this.jobsExpired.inc({ type, status }, 0);
      for (const outcome of ['created', 'skipped']) this.scheduleTicks.inc({ type, outcome }, 0);
    }
    for (const outcome of ['succeeded', 'retry', 'failed']) this.webhookDeliveries.inc({ outcome }, 0);
    this.webhookEndpointsDisabled.inc(0);
    for (const queue of WORKER_QUEUE_NAMES) this.queuePaused.set({ queue }, 0);
  }

  /**
   * Adds queue depth and consumer gauges, read by `sample` when Prometheus
   * scrapes; `sample` should cache (see `sampled`), since both gauges ask.
   */
  sampleQueues(sample: () => Promise<QueueSample[]>): void {
    const gauge = (name: string, help: string, pick: (queue: QueueSample) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'] as const,
        registers: [this.registry],
        async collect() {
          for (const queue of await sample().catch(() => [] as QueueSample[])) this.set({ queue: queue.queue }, pick(queue));
        },
      });
    gauge('baton_queue_messages', 'Messages ready in each work, retry and dead-letter queue.', (queue) => queue.messages);
    gauge('baton_queue_consumers', 'Consumers attached to each Baton queue.', (queue) => queue.consumers);
  }

  /** Adds the relay backlog gauges: jobs accepted, and events recorded, but not yet confirmed by the broker. */
  sampleRelayBacklog(jobs: () => Promise<number>, events: () => Promise<number>): void {
    this.backlogGauge('baton_relay_backlog_jobs', 'Jobs accepted but not yet confirmed by RabbitMQ.', jobs);
    this.backlogGauge('baton_relay_backlog_events', 'Events recorded but not yet confirmed by RabbitMQ.', events);
  }

  /**
   * Adds the oldest-pending gauges. `read` answers the ages as of the
   * scrape, or undefined in a process that does not report them (another
   * replica holds the queue-age lock): that process exports no age series
   * and a reporter gauge of 0, so `max by (queue)` over all replicas is the
   * one reporter's value whichever replica it is.
   */
  sampleOldestPending(read: () => OldestPendingSample[] | undefined): void {
    new Gauge({
      name: 'baton_queue_oldest_pending_seconds',
      help: 'API only, in the one replica that reports it (see baton_queue_oldest_pending_reporter): seconds the oldest job that is due and waiting for a worker (queued, not claimed) has waited, by queue; a delayed job counts from its due time. 0 when none waits.',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      collect() {
        // Reset first: a replica that stops reporting must not leave its last values behind.
        this.reset();
        for (const sample of read() ?? []) this.set({ queue: sample.queue }, sample.ageSeconds);
      },
    });
    new Gauge({
      name: 'baton_queue_oldest_pending_reporter',
      help: 'API only: 1 in the replica that holds the queue-age lock and reports baton_queue_oldest_pending_seconds; 0 in the others.',
      registers: [this.registry],
      collect() {
        this.set(read() ? 1 : 0);
      },
    });
  }

  /**
   * Adds each read replica's gauges (DATABASE_READ_URL), read as of the
   * scrape: up (reachable and a standby), and how far behind the primary
   * it may be (seconds since the newest moment it is known to have caught up to).
   */
  sampleReadReplicas(read: () => ReadReplicaSample[]): void {
    const gauge = (name: string, help: string, pick: (replica: ReadReplicaSample) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['replica'] as const,
        registers: [this.registry],
        collect() {
          for (const replica of read()) this.set({ replica: replica.replica }, pick(replica));
        },
      });
    gauge('baton_database_replica_up', 'API only: 1 while a read replica (DATABASE_READ_URL, by host:port) answers as a hot standby; 0 while reads skip it.', (replica) => (replica.up ? 1 : 0));
    gauge(
      'baton_database_replica_staleness_seconds',
      'API only: how far behind the primary a read replica may be: seconds since the newest moment all of whose commits it is known to have replayed. Reads skip it past DATABASE_READ_MIN_AGE_MS.',
      (replica) => replica.stalenessSeconds,
    );
  }

  private backlogGauge(name: string, help: string, sample: () => Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        const backlog = await sample().catch(() => undefined);
        if (backlog !== undefined) this.set(backlog);
      },
    });
  }

  private counter(name: string, help: string): Counter<'type'> {
    return new Counter({ name, help, labelNames: ['type'] as const, registers: [this.registry] });
  }
}
