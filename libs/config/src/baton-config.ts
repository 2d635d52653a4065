import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  Validate,
  ArrayUnique,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { API_KEY_PATTERN, JOB_TYPES, JobType, TENANT_PATTERN, WORKER_QUEUE_NAMES, WorkerQueue } from '@baton/contracts';
import { AllowedHostsConstraint, MailFromConstraint, QueueRateLimit, RateLimitsConstraint, SmtpUrlConstraint, toBoolean, toRateLimits } from './config-formats';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_SEC } from './webhook-settings';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Ten years: longer than that is forever, which is 0. */
const RETENTION_MAX_SEC = 315_360_000;

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);
// Only the two words: `yes`, `1` or `False` would pass silently for what the operator did not mean.
const toList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
    : value;

/** OTEL_TRACES_SAMPLER's values that the SDK knows. */
export const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/**
 * Every setting Baton reads from its environment, validated once at start.
 * Property names are the variable names so that a validation error names
 * the variable an operator has to fix.
 */
export class BatonConfig {
  /** PostgreSQL connection string. */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /**
   * PostgreSQL's own bound on one statement (statement_timeout), and on a
   * transaction left idle (idle_in_transaction_session_timeout), in ms: the
   * server cancels the statement and says so. Migrations lift it for their
   * long index builds.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 30_000;

  /**
   * The client's own bound on a statement's answer (pg's query_timeout), in
   * ms; it must exceed DATABASE_STATEMENT_TIMEOUT_MS. A partitioned network
   * closes no socket, so the server's answer (even its statement_timeout
   * error) may never arrive: past this the request fails as "database
   * unavailable" (the API answers 503) instead of waiting for TCP to give up,
   * minutes later. Never applied to migrations.
   */
  @Transform(toInt)
  @IsInt()
  @Min(200)
  @Max(3_700_000)
  DATABASE_QUERY_TIMEOUT_MS = 35_000;

  /**
   * Streaming replicas (hot standbys) of DATABASE_URL for the hot reads
   * (`GET /v1/jobs/:id`, workouts, invoices), comma-separated, used in turn.
   * Unset: every read goes to DATABASE_URL. See docs/read-replicas.md.
   */
  @Transform(toList)
  @IsOptional()
  @ArrayNotEmpty({ message: 'DATABASE_READ_URL must list at least one postgres:// URL' })
  @ArrayMaxSize(16, { message: 'DATABASE_READ_URL may list at most 16 replicas' })
  @ArrayUnique({ message: 'DATABASE_READ_URL must not name a replica twice' })
  @Matches(/^postgres(ql)?:\/\/\S+$/, { each: true, message: 'DATABASE_READ_URL must list postgres:// or postgresql:// URLs, comma-separated' })
  DATABASE_READ_URL?: string[];

  /**
   * The replicas' staleness bound, in milliseconds: a job younger than this
   * is read from DATABASE_URL, and a replica is skipped while it may miss
   * a commit older than this. 0: no bound (a row found on any reachable
   * replica is answered, however far behind it is).
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  DATABASE_READ_MIN_AGE_MS = 1000;

  /** RabbitMQ connection string, vhost included. */
  @IsOptional()
  @IsString()
  @Matches(/^amqps?:\/\/\S+$/, { message: 'RABBITMQ_URL must be an amqp:// or amqps:// URL' })
  RABBITMQ_URL?: string;

  /**
   * The nodes of a RabbitMQ cluster, comma-separated: a process's connection
   * tries them in turn, at start and on every reconnect, starting after the
   * node it last used. RABBITMQ_URL still names the broker for the CLI, the
   * autoscaler and the rate limit's scope, so every node must serve its vhost.
   */
  @Transform(toList)
  @IsOptional()
  @ArrayNotEmpty({ message: 'RABBITMQ_URLS must list at least one amqp:// URL' })
  @ArrayMaxSize(16, { message: 'RABBITMQ_URLS may list at most 16 nodes' })
  @ArrayUnique({ message: 'RABBITMQ_URLS must not name a node twice' })
  @Matches(/^amqps?:\/\/\S+$/, { each: true, message: 'RABBITMQ_URLS must list amqp:// or amqps:// URLs, comma-separated' })
  RABBITMQ_URLS?: string[];

  /**
   * The AMQP heartbeat Baton asks for, in seconds (the broker may lower it):
   * a connection that hears nothing for two of them is taken as dead (amqplib
   * checks once a heartbeat, so two to three pass), so a network partition,
   * which closes no socket, is noticed within three times this. RabbitMQ's
   * own default is 60.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600)
  RABBITMQ_HEARTBEAT_SEC = 15;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  @Transform(toList)
  @ArrayNotEmpty({ message: 'WORKER_QUEUES must name at least one queue' })
  @ArrayUnique({ message: 'WORKER_QUEUES must not name a queue twice' })
  @IsIn(WORKER_QUEUE_NAMES, { each: true, message: `WORKER_QUEUES may only contain ${WORKER_QUEUE_NAMES.join(', ')}` })
  /** The queues a worker consumes; unset, every job type not in DISABLED_JOB_TYPES, and the webhook deliveries. */
  WORKER_QUEUES: WorkerQueue[] = [...WORKER_QUEUE_NAMES];

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  WORKER_CONCURRENCY = 8;

  /**
   * How fast each queue's jobs may start, across every worker replica
   * together (shared through REDIS_URL), e.g. `emails=10/s,invoices=600/m`.
   * A job held back waits; it never fails or spends an attempt for it.
   */
  @Transform(toRateLimits)
  @IsOptional()
  @Validate(RateLimitsConstraint)
  WORKER_RATE_LIMITS?: QueueRateLimit[];

  /**
   * Job types the API refuses (`404` on their route), e.g. `emails` where no
   * mail server is configured. Their queues still exist.
   */
  @Transform(toList)
  @IsOptional()
  @ArrayUnique({ message: 'DISABLED_JOB_TYPES must not name a type twice' })
  @IsIn(JOB_TYPES, { each: true, message: `DISABLED_JOB_TYPES may only contain ${JOB_TYPES.join(', ')}` })
  DISABLED_JOB_TYPES: JobType[] = [];

  /**
   * Where the emails worker sends: `smtp://` or `smtps://` (TLS from the
   * first byte), credentials in the URL; over smtp:// STARTTLS is used
   * whenever the server offers it.
   */
  @IsOptional()
  @IsString()
  @Validate(SmtpUrlConstraint)
  SMTP_URL?: string;

  /** The sender of every email: `billing@example.com` or `Example Shop <billing@example.com>`. */
  @IsOptional()
  @IsString()
  @Validate(MailFromConstraint)
  MAIL_FROM?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  JOB_MAX_ATTEMPTS = 5;

  /** Delay before the first retry; each further retry doubles it, up to JOB_RETRY_MAX_MS. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(86_400_000)
  JOB_RETRY_BASE_MS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(86_400_000)
  JOB_RETRY_MAX_MS = 300_000;

  /**
   * Broker-side guard against crash loops (quorum queue `x-delivery-limit`):
   * a message redelivered this many times goes to the dead-letter queue.
   * It is a queue argument, fixed when the queue is first declared.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  JOB_DELIVERY_LIMIT = 10;

  /**
   * The furthest ahead a job may be delayed (`options.runAt`, `options.delaySec`),
   * in seconds; further is a 400 naming the option.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(315_360_000)
  JOB_MAX_DELAY_SEC = 2_592_000;

  /** How often the relay looks for accepted jobs that were never confirmed by the broker, and for delayed jobs that are due. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(600_000)
  RELAY_INTERVAL_MS = 1000;

  /**
   * How often the API replica holding the queue-age lock reads the oldest
   * waiting job of each queue (baton_queue_oldest_pending_seconds): one
   * indexed query per job type, however many replicas run.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(600_000)
  QUEUE_AGE_REFRESH_MS = 5000;

  /**
   * Longest an HTTP request may take to arrive whole, body included: a slow
   * client is cut off instead of holding a connection.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** Longest a client may take to send its request headers. */
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /**
   * Requests the API holds at once (being read, or answered); one more is
   * answered 503 with Retry-After before its body is read. Bounds the
   * memory that request bodies can take: at most this many bodies of up to
   * the body limit (1 MiB; 5 MiB for a batch) at a time.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  HTTP_MAX_IN_FLIGHT = 256;

  /**
   * Request body bytes the API holds at once, counted from each request's
   * Content-Length (a chunked body counts as its route's whole body limit).
   * A request that would take the total past it is answered 503 with
   * Retry-After before its body is read, unless nothing else is in flight.
   * HTTP_MAX_IN_FLIGHT alone lets 256 batches of 5 MiB in at once; this
   * keeps a burst of large bodies within the heap (32 MiB by default).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1024 * 1024)
  @Max(4 * 1024 * 1024 * 1024)
  HTTP_MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

  /**
   * Origins allowed to call the API from a browser (comma-separated, e.g.
   * https://app.example.com). Unset: no CORS headers at all, which is what
   * server-to-server callers need.
   */
  @Transform(toList)
  @IsOptional()
  @Matches(/^(\*|https?:\/\/[^\s/,]+)$/, { each: true, message: 'CORS_ORIGINS must list origins such as https://app.example.com' })
  CORS_ORIGINS?: string[];

  /**
   * Serve the API's OpenAPI document at `GET /openapi.json`, without an API
   * key. `false` where a deployment prefers not to publish its routes: the
   * path then answers 404.
   */
  @Transform(toBoolean)
  @IsBoolean({ message: 'OPENAPI_ENABLED must be true or false (or 1 or 0)' })
  OPENAPI_ENABLED = true;

  /**
   * Serve the web dashboard under `/dashboard` (signed in with an `admin` or
   * `operator` key). `false` answers 404 there.
   */
  @Transform(toBoolean)
  @IsBoolean({ message: 'DASHBOARD_ENABLED must be true or false (or 1 or 0)' })
  DASHBOARD_ENABLED = true;

  /** The dashboard shows everything and changes nothing: every state change under /dashboard/api answers 403. */
  @Transform(toBoolean)
  @IsBoolean({ message: 'DASHBOARD_READ_ONLY must be true or false (or 1 or 0)' })
  DASHBOARD_READ_ONLY = false;

  /** How long a dashboard session lasts after sign-in, in seconds (5 minutes to 7 days; 8 hours by default). */
  @Transform(toInt)
  @IsInt()
  @Min(300)
  @Max(604_800)
  DASHBOARD_SESSION_TTL_SEC = 28_800;

  /** Requests one API key may make per RATE_LIMIT_WINDOW_MS; past it, 429 with Retry-After. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  RATE_LIMIT_MAX = 6000;

  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  RATE_LIMIT_WINDOW_MS = 60_000;

  /**
   * How long the API reuses an API key's look-up. A change to a key (a
   * revocation) reaches every replica within milliseconds through
   * PostgreSQL LISTEN/NOTIFY; this bounds what a lost notification could
   * leave behind. 0: every request looks its key up.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  API_KEY_CACHE_MS = 60_000;

  /**
   * Redis for the rate limit's counters, shared by all API replicas, and
   * for the read cache (READ_CACHE_TTL_SEC). Unset: each API process counts
   * on its own, so the budget is per replica, and every read goes to
   * PostgreSQL.
   */
  @IsOptional()
  @IsString()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /**
   * How long Redis (REDIS_URL) keeps a read that no longer changes: a
   * completed, cancelled or dead job, a workout, an invoice and its PDF.
   * Changes drop their entry at once (see docs/read-cache.md); this bounds
   * what a change Redis did not hear of could leave behind. 0: no cache.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400)
  READ_CACHE_TTL_SEC = 600;

  /**
   * The start of every read-cache key, so that two installations sharing
   * one Redis never read each other's entries.
   */
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, { message: 'READ_CACHE_PREFIX must be 1 to 100 characters of A-Z a-z 0-9 . _ : - (starting with a letter or digit)' })
  READ_CACHE_PREFIX = 'baton';

  /** The longest a read waits on Redis before it goes to PostgreSQL instead. */
  @Transform(toInt)
  @IsInt()
  @Min(5)
  @Max(1000)
  READ_CACHE_TIMEOUT_MS = 50;

  /**
   * `migrate` only: an API key (from a Secret) to store for
   * BATON_BOOTSTRAP_TENANT with the admin scope, unless it is stored already.
   */
  @IsOptional()
  @IsString()
  @Matches(API_KEY_PATTERN, { message: 'BATON_BOOTSTRAP_API_KEY must be 32 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -' })
  BATON_BOOTSTRAP_API_KEY?: string;

  @IsString()
  @Matches(TENANT_PATTERN, { message: 'BATON_BOOTSTRAP_TENANT must be lowercase letters, digits, . _ - (at most 63, starting with a letter or digit)' })
  BATON_BOOTSTRAP_TENANT = 'default';

  /** Port of the worker's health and metrics server. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  HEALTH_PORT = 9464;

  /** How long the API keeps serving, not ready, after SIGTERM, so load balancers stop sending first. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300_000)
  SHUTDOWN_DELAY_MS = 5000;

  /** How long a stopping process waits for requests and jobs in flight before it gives them back. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  SHUTDOWN_TIMEOUT_MS = 25_000;

  /**
   * Seconds a completed job is kept, counted from when it finished; then a
   * worker consuming its type deletes it (its workout or invoice stays).
   * 0: kept forever. The dead and cancelled ones have their own.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(RETENTION_MAX_SEC)
  JOB_RETENTION_COMPLETED_SEC = 604_800;

  /** Seconds a dead job is kept, for operators to look into and retry; longer by default. 0: forever. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(RETENTION_MAX_SEC)
  JOB_RETENTION_DEAD_SEC = 2_592_000;

  /** Seconds a cancelled job is kept. 0: forever. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(RETENTION_MAX_SEC)
  JOB_RETENTION_CANCELLED_SEC = 604_800;

  /** How often a worker looks for expired jobs of the types it consumes. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  JOB_RETENTION_SWEEP_MS = 60_000;

  /**
   * Seconds between a webhook delivery's attempts: after the first fails,
   * the next waits the first entry, and so on; once the schedule runs out
   * the delivery is `failed`.
   */
  @Transform(({ value }) => (typeof value === 'string' ? (toList({ value }) as string[]).map((item) => (/^\d+$/.test(item) ? Number(item) : item)) : value))
  @ArrayNotEmpty({ message: 'WEBHOOK_RETRY_SCHEDULE_SEC must list at least one delay' })
  @ArrayMaxSize(20, { message: 'WEBHOOK_RETRY_SCHEDULE_SEC may list at most 20 delays' })
  @IsInt({ each: true, message: 'WEBHOOK_RETRY_SCHEDULE_SEC must list whole seconds, comma-separated (e.g. 5,300,1800)' })
  @Min(1, { each: true, message: 'WEBHOOK_RETRY_SCHEDULE_SEC delays must be at least 1 second' })
  @Max(604_800, { each: true, message: 'WEBHOOK_RETRY_SCHEDULE_SEC delays must be at most a week (604800)' })
  WEBHOOK_RETRY_SCHEDULE_SEC: number[] = [...DEFAULT_WEBHOOK_RETRY_SCHEDULE_SEC];

  /** How long a webhook endpoint's previous secret still signs deliveries after a rotation. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(2_592_000)
  WEBHOOK_SECRET_GRACE_SEC = 86_400;

  /** Longest a webhook attempt may take, connection to last byte read; then it counts as failed. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Plain `http` endpoint URLs (for tests and private networks); off, only `https`. */
  @Transform(toBoolean)
  @IsBoolean({ message: 'WEBHOOK_ALLOW_HTTP must be 1, 0, true or false' })
  WEBHOOK_ALLOW_HTTP = false;

  /**
   * Hosts webhook endpoints may reach although they resolve to loopback,
   * private, link-local or metadata addresses: host names, IP addresses or
   * CIDR ranges, comma-separated. Empty, only public addresses.
   */
  @Transform(toList)
  @Validate(AllowedHostsConstraint)
  WEBHOOK_ALLOWED_HOSTS: string[] = [];

  /**
   * Where `npm start` keeps its embedded PostgreSQL (PGlite) when
   * DATABASE_URL is not set; relative paths are from the working directory.
   */
  @IsString()
  @Length(1, 4096)
  BATON_DATA_DIR = '.baton/data';

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  /*
   * Tracing (docs/tracing.md). These are the OpenTelemetry SDK's own
   * variables, which the SDK reads itself (libs/tracing); they are checked
   * here too so that a mistyped one stops the process naming it, rather than
   * leaving it to export nothing, or everything, without a word.
   */

  /** The collector's OTLP/HTTP base URL (`/v1/traces` is added); set, the API and workers export traces. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL' })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** The full URL traces are POSTed to, instead of OTEL_EXPORTER_OTLP_ENDPOINT's. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http:// or https:// URL' })
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;

  @IsOptional()
  @IsIn(TRACE_SAMPLERS, { message: `OTEL_TRACES_SAMPLER must be one of ${TRACE_SAMPLERS.join(', ')}` })
  OTEL_TRACES_SAMPLER?: string;

  /** The ratio of the `traceidratio` samplers, 0 to 1. */
  @IsOptional()
  @Matches(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1' })
  OTEL_TRACES_SAMPLER_ARG?: string;
}

/** Every variable Baton reads: those with a default, and the optional ones without. */
export const CONFIG_VARIABLES: readonly string[] = [
  ...Object.keys(new BatonConfig()),
  'DATABASE_URL',
  'DATABASE_READ_URL',
  'RABBITMQ_URL',
  'RABBITMQ_URLS',
  'CORS_ORIGINS',
  'REDIS_URL',
  'BATON_BOOTSTRAP_API_KEY',
  'WORKER_RATE_LIMITS',
  'SMTP_URL',
  'MAIL_FROM',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  // Read by the SDK alone, with nothing to check: listed so that the chart may set them.
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
];
