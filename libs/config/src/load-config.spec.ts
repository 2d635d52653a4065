import 'reflect-metadata';
import { BatonConfig } from './baton-config';
import { ConfigError, ConfigVariable, loadConfig } from './load-config';

/** Runs loadConfig and returns the ConfigError it throws; fails the test if it throws nothing or something else. */
function configError(env: NodeJS.ProcessEnv, required: Parameters<typeof loadConfig>[1] = []): ConfigError {
  let thrown: unknown;
  try {
    loadConfig(env, required);
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error(`expected loadConfig(${JSON.stringify(env)}) to throw a ConfigError`);
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

describe(loadConfig.name, () => {
  describe('defaults', () => {
    it('fills every setting with its default when the environment is empty', () => {
      const config = loadConfig({});

      expect(config).toBeInstanceOf(BatonConfig);
      expect(config.DATABASE_URL).toBeUndefined();
      expect(config.RABBITMQ_URL).toBeUndefined();
      expect(config.DATABASE_POOL_SIZE).toBe(10);
      expect(config.DATABASE_STATEMENT_TIMEOUT_MS).toBe(30_000);
      expect(config.DATABASE_QUERY_TIMEOUT_MS).toBe(35_000);
      expect(config.PORT).toBe(3000);
      expect(config.WORKER_QUEUES).toEqual(['workouts', 'invoices', 'emails', 'webhooks']);
      expect(config.WORKER_CONCURRENCY).toBe(8);
      expect(config.JOB_MAX_ATTEMPTS).toBe(5);
      expect(config.JOB_RETRY_BASE_MS).toBe(1000);
      expect(config.JOB_RETRY_MAX_MS).toBe(300_000);
      expect(config.JOB_DELIVERY_LIMIT).toBe(10);
      expect(config.RELAY_INTERVAL_MS).toBe(1000);
      expect(config.QUEUE_AGE_REFRESH_MS).toBe(5000);
      expect(config.JOB_MAX_DELAY_SEC).toBe(2_592_000);
      expect(config.HEALTH_PORT).toBe(9464);
      expect(config.SHUTDOWN_DELAY_MS).toBe(5000);
      expect(config.SHUTDOWN_TIMEOUT_MS).toBe(25_000);
      expect(config.LOG_LEVEL).toBe('info');
    });

    it('reads process.env when no environment is given', () => {
      const saved = process.env.WORKER_CONCURRENCY;
      process.env.WORKER_CONCURRENCY = '17';
      try {
        expect(loadConfig().WORKER_CONCURRENCY).toBe(17);
      } finally {
        if (saved === undefined) delete process.env.WORKER_CONCURRENCY;
        else process.env.WORKER_CONCURRENCY = saved;
      }
    });

    it('does not share the default WORKER_QUEUES array between configurations', () => {
      const first = loadConfig({});
      first.WORKER_QUEUES.pop();
      expect(loadConfig({}).WORKER_QUEUES).toEqual(['workouts', 'invoices', 'emails', 'webhooks']);
    });
  });

  describe('valid values', () => {
    it('parses integers, URLs and the log level, trimming surrounding white space', () => {
      const config = loadConfig({
        DATABASE_URL: ' postgresql://baton:secret@db:5432/baton ',
        RABBITMQ_URL: 'amqps://baton:secret@mq/baton',
        DATABASE_POOL_SIZE: '25',
        PORT: ' 8080 ',
        WORKER_CONCURRENCY: '1',
        JOB_MAX_ATTEMPTS: '100',
        JOB_RETRY_BASE_MS: '10',
        JOB_RETRY_MAX_MS: '10',
        JOB_DELIVERY_LIMIT: '1000',
        RELAY_INTERVAL_MS: '50',
        QUEUE_AGE_REFRESH_MS: '100',
        HEALTH_PORT: '65535',
        SHUTDOWN_DELAY_MS: '0',
        SHUTDOWN_TIMEOUT_MS: '100',
        LOG_LEVEL: 'trace',
      });

      expect(config).toMatchObject({
        DATABASE_URL: 'postgresql://baton:secret@db:5432/baton',
        RABBITMQ_URL: 'amqps://baton:secret@mq/baton',
        DATABASE_POOL_SIZE: 25,
        PORT: 8080,
        WORKER_CONCURRENCY: 1,
        JOB_MAX_ATTEMPTS: 100,
        JOB_RETRY_BASE_MS: 10,
        JOB_RETRY_MAX_MS: 10,
        JOB_DELIVERY_LIMIT: 1000,
        RELAY_INTERVAL_MS: 50,
        QUEUE_AGE_REFRESH_MS: 100,
        HEALTH_PORT: 65535,
        SHUTDOWN_DELAY_MS: 0,
        SHUTDOWN_TIMEOUT_MS: 100,
        LOG_LEVEL: 'trace',
      });
      expect(typeof config.PORT).toBe('number');
    });

    it('accepts postgres:// as well as postgresql://, and amqp:// as well as amqps://', () => {
      expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).DATABASE_URL).toBe('postgres://u@h/db');
      expect(loadConfig({ RABBITMQ_URL: 'amqp://h' }).RABBITMQ_URL).toBe('amqp://h');
    });

    it('ignores variables it does not know', () => {
      const config = loadConfig({ SOMETHING_ELSE: 'x', PATH: '/usr/bin' });
      expect(config).not.toHaveProperty('SOMETHING_ELSE');
      expect(config).not.toHaveProperty('PATH');
    });
  });

  describe('WORKER_QUEUES', () => {
    it.each([
      ['workouts, invoices', ['workouts', 'invoices']],
      ['invoices,workouts', ['invoices', 'workouts']],
      [' invoices ', ['invoices']],
      ['workouts', ['workouts']],
      ['workouts,,invoices,', ['workouts', 'invoices']],
      ['webhooks', ['webhooks']],
    ])('parses %j as %j', (value, expected) => {
      expect(loadConfig({ WORKER_QUEUES: value }).WORKER_QUEUES).toEqual(expected);
    });

    it.each([['foo'], ['workouts,foo'], ['Workouts'], ['workouts invoices']])('rejects %j, naming WORKER_QUEUES', (value) => {
      const error = configError({ WORKER_QUEUES: value });
      expect(error.message).toContain('WORKER_QUEUES');
    });

    it('rejects a list that names no queue', () => {
      expect(configError({ WORKER_QUEUES: ' , ,' }).message).toContain('WORKER_QUEUES must name at least one queue');
    });

    it('rejects a queue named twice', () => {
      expect(configError({ WORKER_QUEUES: 'workouts, workouts' }).message).toContain('WORKER_QUEUES must not name a queue twice');
    });
  });

  describe('webhook settings', () => {
    it('default to the Standard Webhooks schedule, https only, no exempt hosts', () => {
      expect(loadConfig({})).toMatchObject({
        WEBHOOK_RETRY_SCHEDULE_SEC: [5, 300, 1800, 7200, 18000, 36000],
        WEBHOOK_SECRET_GRACE_SEC: 86400,
        WEBHOOK_TIMEOUT_MS: 10000,
        WEBHOOK_ALLOW_HTTP: false,
        WEBHOOK_ALLOWED_HOSTS: [],
      });
    });

    it('parse a schedule, a switch and a list of hosts, addresses and ranges', () => {
      const config = loadConfig({ WEBHOOK_RETRY_SCHEDULE_SEC: '1, 2,3', WEBHOOK_ALLOW_HTTP: '1', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1, hooks.internal, 10.0.0.0/8, ::1, fd00::/8' });
      expect(config).toMatchObject({
        WEBHOOK_RETRY_SCHEDULE_SEC: [1, 2, 3],
        WEBHOOK_ALLOW_HTTP: true,
        WEBHOOK_ALLOWED_HOSTS: ['127.0.0.1', 'hooks.internal', '10.0.0.0/8', '::1', 'fd00::/8'],
      });
      expect(loadConfig({ WEBHOOK_ALLOW_HTTP: 'false' }).WEBHOOK_ALLOW_HTTP).toBe(false);
    });

    it.each<[ConfigVariable, string, string]>([
      ['WEBHOOK_RETRY_SCHEDULE_SEC', '5,soon', 'WEBHOOK_RETRY_SCHEDULE_SEC must list whole seconds'],
      ['WEBHOOK_RETRY_SCHEDULE_SEC', '0', 'WEBHOOK_RETRY_SCHEDULE_SEC delays must be at least 1 second'],
      ['WEBHOOK_RETRY_SCHEDULE_SEC', ',', 'WEBHOOK_RETRY_SCHEDULE_SEC must list at least one delay'],
      ['WEBHOOK_ALLOW_HTTP', 'yes', 'WEBHOOK_ALLOW_HTTP must be 1, 0, true or false'],
      ['WEBHOOK_ALLOWED_HOSTS', '10.0.0.0/33', 'WEBHOOK_ALLOWED_HOSTS has "10.0.0.0/33", which is not a CIDR range'],
      ['WEBHOOK_ALLOWED_HOSTS', 'hooks.internal, bad host', 'WEBHOOK_ALLOWED_HOSTS has "bad host", which is neither a host name'],
      ['WEBHOOK_SECRET_GRACE_SEC', '-1', 'WEBHOOK_SECRET_GRACE_SEC'],
    ])('%s=%j is refused, naming it', (name, value, message) => {
      expect(configError({ [name]: value }).message).toContain(message);
    });
  });

  describe('invalid values', () => {
    it.each<[ConfigVariable, string]>([
      ['WORKER_CONCURRENCY', 'abc'],
      ['WORKER_CONCURRENCY', '0'],
      ['WORKER_CONCURRENCY', '1001'],
      ['WORKER_CONCURRENCY', '2.5'],
      ['PORT', '0'],
      ['PORT', '65536'],
      ['PORT', '-1'],
      ['PORT', '80abc'],
      ['PORT', '1e3'],
      ['DATABASE_POOL_SIZE', '0'],
      ['DATABASE_POOL_SIZE', '201'],
      ['DATABASE_STATEMENT_TIMEOUT_MS', '99'],
      ['DATABASE_STATEMENT_TIMEOUT_MS', '3600001'],
      ['DATABASE_QUERY_TIMEOUT_MS', '199'],
      ['DATABASE_QUERY_TIMEOUT_MS', '3700001'],
      ['DATABASE_QUERY_TIMEOUT_MS', '5s'],
      ['JOB_MAX_ATTEMPTS', '0'],
      ['JOB_MAX_ATTEMPTS', '101'],
      ['JOB_RETRY_BASE_MS', '9'],
      ['JOB_RETRY_MAX_MS', '86400001'],
      ['JOB_DELIVERY_LIMIT', '0'],
      ['RELAY_INTERVAL_MS', '49'],
      ['QUEUE_AGE_REFRESH_MS', '99'],
      ['QUEUE_AGE_REFRESH_MS', '600001'],
      ['JOB_MAX_DELAY_SEC', '0'],
      ['JOB_MAX_DELAY_SEC', '315360001'],
      ['JOB_MAX_DELAY_SEC', '1d'],
      ['HEALTH_PORT', 'none'],
      ['SHUTDOWN_DELAY_MS', '-5'],
      ['SHUTDOWN_TIMEOUT_MS', '99'],
      ['LOG_LEVEL', 'loud'],
      ['LOG_LEVEL', 'INFO'],
      ['DATABASE_URL', 'mysql://x'],
      ['DATABASE_URL', 'postgres://'],
      ['DATABASE_URL', 'localhost:5432/baton'],
      ['DATABASE_READ_URL', 'mysql://replica/baton'],
      ['DATABASE_READ_URL', 'postgres://replica-1/baton,replica-2:5432/baton'],
      ['DATABASE_READ_URL', 'postgres://replica/baton,postgres://replica/baton'],
      ['DATABASE_READ_MIN_AGE_MS', '-1'],
      ['DATABASE_READ_MIN_AGE_MS', '60001'],
      ['DATABASE_READ_MIN_AGE_MS', '1s'],
      ['RABBITMQ_URL', 'http://guest@localhost'],
      ['RABBITMQ_URL', 'amqp://'],
      ['RABBITMQ_URLS', 'amqp://node-1/baton,http://node-2/baton'],
      ['RABBITMQ_URLS', 'amqp://node-1/baton,amqp://node-1/baton'],
      ['RABBITMQ_HEARTBEAT_SEC', '0'],
      ['RABBITMQ_HEARTBEAT_SEC', '601'],
      ['RABBITMQ_HEARTBEAT_SEC', '15s'],
      ['RATE_LIMIT_MAX', '0'],
      ['RATE_LIMIT_MAX', '10000001'],
      ['RATE_LIMIT_WINDOW_MS', '999'],
      ['RATE_LIMIT_WINDOW_MS', '3600001'],
      ['API_KEY_CACHE_MS', '-1'],
      ['API_KEY_CACHE_MS', '3600001'],
      ['API_KEY_CACHE_MS', '1m'],
      ['REDIS_URL', 'http://127.0.0.1:6379'],
      ['REDIS_URL', 'redis://'],
      ['READ_CACHE_TTL_SEC', '-1'],
      ['READ_CACHE_TTL_SEC', '86401'],
      ['READ_CACHE_TTL_SEC', '10m'],
      ['READ_CACHE_PREFIX', 'baton prod'],
      ['READ_CACHE_PREFIX', ':baton'],
      ['READ_CACHE_PREFIX', 'b'.repeat(101)],
      ['READ_CACHE_TIMEOUT_MS', '4'],
      ['READ_CACHE_TIMEOUT_MS', '1001'],
      ['READ_CACHE_TIMEOUT_MS', '50ms'],
      ['BATON_BOOTSTRAP_API_KEY', 'too-short'],
      ['BATON_BOOTSTRAP_API_KEY', `${'k'.repeat(40)} spaces`],
      ['BATON_BOOTSTRAP_TENANT', 'Acme'],
      ['BATON_BOOTSTRAP_TENANT', '-acme'],
      ['JOB_RETENTION_COMPLETED_SEC', '-1'],
      ['JOB_RETENTION_COMPLETED_SEC', '7d'],
      ['JOB_RETENTION_DEAD_SEC', '315360001'],
      ['JOB_RETENTION_DEAD_SEC', '1.5'],
      ['JOB_RETENTION_CANCELLED_SEC', 'forever'],
      ['JOB_RETENTION_SWEEP_MS', '99'],
      ['JOB_RETENTION_SWEEP_MS', '86400001'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'http://'],
      ['OTEL_TRACES_SAMPLER', 'sometimes'],
      ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
      ['OTEL_TRACES_SAMPLER_ARG', 'half'],
    ])('%s=%j throws a ConfigError that names the variable', (name, value) => {
      const error = configError({ [name]: value });
      expect(error.name).toBe('ConfigError');
      expect(error.problems.length).toBeGreaterThan(0);
      for (const problem of error.problems) expect(problem).toContain(name);
      expect(error.message).toContain(name);
    });

    it('lists every bad variable, not only the first', () => {
      const error = configError({ PORT: '0', LOG_LEVEL: 'loud', WORKER_QUEUES: 'foo' });
      expect(error.message).toContain('PORT');
      expect(error.message).toContain('LOG_LEVEL');
      expect(error.message).toContain('WORKER_QUEUES');
      expect(error.message).not.toContain('WORKER_CONCURRENCY');
    });

    it('rejects JOB_RETRY_MAX_MS less than JOB_RETRY_BASE_MS', () => {
      const error = configError({ JOB_RETRY_BASE_MS: '5000', JOB_RETRY_MAX_MS: '4999' });
      expect(error.message).toContain('JOB_RETRY_MAX_MS');
      expect(error.message).toContain('JOB_RETRY_BASE_MS');
    });

    it('rejects a JOB_RETRY_BASE_MS above the default JOB_RETRY_MAX_MS', () => {
      expect(configError({ JOB_RETRY_BASE_MS: '300001' }).message).toContain('JOB_RETRY_MAX_MS');
    });

    it('rejects a DATABASE_QUERY_TIMEOUT_MS that does not exceed DATABASE_STATEMENT_TIMEOUT_MS', () => {
      for (const query of ['2000', '1999']) {
        const error = configError({ DATABASE_STATEMENT_TIMEOUT_MS: '2000', DATABASE_QUERY_TIMEOUT_MS: query });
        expect(error.message).toContain('DATABASE_QUERY_TIMEOUT_MS must exceed DATABASE_STATEMENT_TIMEOUT_MS');
      }
    });

    it('rejects a DATABASE_STATEMENT_TIMEOUT_MS above the default DATABASE_QUERY_TIMEOUT_MS', () => {
      expect(configError({ DATABASE_STATEMENT_TIMEOUT_MS: '35000' }).message).toContain('DATABASE_QUERY_TIMEOUT_MS');
    });

    it('accepts short database bounds, the statement first', () => {
      const config = loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '1500', DATABASE_QUERY_TIMEOUT_MS: '2500' });
      expect([config.DATABASE_STATEMENT_TIMEOUT_MS, config.DATABASE_QUERY_TIMEOUT_MS]).toEqual([1500, 2500]);
    });

    it('accepts JOB_RETRY_MAX_MS equal to JOB_RETRY_BASE_MS', () => {
      const config = loadConfig({ JOB_RETRY_BASE_MS: '5000', JOB_RETRY_MAX_MS: '5000' });
      expect(config.JOB_RETRY_MAX_MS).toBe(5000);
    });
  });

  describe('required variables', () => {
    it('names each required variable that is missing', () => {
      const error = configError({}, ['DATABASE_URL', 'RABBITMQ_URL']);
      expect(error.problems).toEqual(['DATABASE_URL is required', 'RABBITMQ_URL is required']);
      expect(error.message).toContain('DATABASE_URL is required');
      expect(error.message).toContain('RABBITMQ_URL is required');
    });

    it('passes when the required variables are present', () => {
      const config = loadConfig({ DATABASE_URL: 'postgres://db/baton', RABBITMQ_URL: 'amqp://mq' }, ['DATABASE_URL', 'RABBITMQ_URL']);
      expect(config.DATABASE_URL).toBe('postgres://db/baton');
      expect(config.RABBITMQ_URL).toBe('amqp://mq');
    });

    it('only asks for the variables the caller requires', () => {
      const error = configError({ DATABASE_URL: 'postgres://db/baton' }, ['DATABASE_URL', 'RABBITMQ_URL']);
      expect(error.problems).toEqual(['RABBITMQ_URL is required']);
    });

    it('reports a missing required variable together with an invalid one', () => {
      const error = configError({ PORT: 'abc' }, ['DATABASE_URL']);
      expect(error.message).toContain('PORT');
      expect(error.message).toContain('DATABASE_URL is required');
    });
  });

  describe('empty strings', () => {
    it.each([[''], ['   '], ['\t']])('treat %j as unset, so the default applies', (blank) => {
      const config = loadConfig({ PORT: blank, WORKER_QUEUES: blank, LOG_LEVEL: blank, JOB_MAX_ATTEMPTS: blank });
      expect(config.PORT).toBe(3000);
      expect(config.WORKER_QUEUES).toEqual(['workouts', 'invoices', 'emails', 'webhooks']);
      expect(config.LOG_LEVEL).toBe('info');
      expect(config.JOB_MAX_ATTEMPTS).toBe(5);
    });

    it('count as missing for a required variable', () => {
      const error = configError({ DATABASE_URL: '', RABBITMQ_URL: '  ' }, ['DATABASE_URL', 'RABBITMQ_URL']);
      expect(error.problems).toEqual(['DATABASE_URL is required', 'RABBITMQ_URL is required']);
    });

    it('leave an optional URL undefined', () => {
      expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
    });
  });

  describe('secrets', () => {
    const password = 'Sup3r-S3cret-Pa55';

    it.each<[ConfigVariable, string]>([
      ['DATABASE_URL', `mysql://baton:${password}@db:3306/baton`],
      ['DATABASE_URL', `postgres://baton:${password} @db/baton`],
      ['DATABASE_READ_URL', `postgres://baton@replica/baton,mysql://baton:${password}@replica/baton`],
      ['RABBITMQ_URL', `http://baton:${password}@mq:5672/`],
      ['RABBITMQ_URL', `amqp://baton:${password}@ mq`],
      ['RABBITMQ_URLS', `amqp://baton@mq-0/baton,http://baton:${password}@mq-1/baton`],
    ])('an invalid %s never puts its password in the message', (name, value) => {
      const error = configError({ [name]: value });
      expect(error.message).toContain(name);
      expect(error.message).not.toContain(password);
      expect(error.problems.join('\n')).not.toContain(password);
    });

    it.each<[ConfigVariable, string]>([
      ['REDIS_URL', `http://:${password}@redis:6379`],
      ['BATON_BOOTSTRAP_API_KEY', `baton_${password}!`],
    ])('an invalid %s is not echoed either', (name, value) => {
      const error = configError({ [name]: value });
      expect(error.message).toContain(name);
      expect(error.message).not.toContain(password);
    });

    it('a valid URL with a password is not echoed when another variable is wrong', () => {
      const error = configError({ DATABASE_URL: `postgres://baton:${password}@db/baton`, PORT: '0' });
      expect(error.message).toContain('PORT');
      expect(error.message).not.toContain(password);
    });
  });

  describe('RabbitMQ cluster nodes', () => {
    const single = 'amqp://baton:secret@rabbitmq:5672/baton';

    it('default to RABBITMQ_URL alone, with a heartbeat of 15 seconds', () => {
      const config = loadConfig({ RABBITMQ_URL: single });
      expect([config.RABBITMQ_URLS, config.RABBITMQ_HEARTBEAT_SEC]).toEqual([undefined, 15]);
    });

    it('take comma-separated node URLs, trimmed, on RABBITMQ_URL\'s vhost', () => {
      const config = loadConfig({
        RABBITMQ_URL: single,
        RABBITMQ_URLS: ' amqp://baton:secret@mq-0:5672/baton , amqps://baton:secret@mq-1/baton,',
        RABBITMQ_HEARTBEAT_SEC: '5',
      });
      expect(config.RABBITMQ_URLS).toEqual(['amqp://baton:secret@mq-0:5672/baton', 'amqps://baton:secret@mq-1/baton']);
      expect(config.RABBITMQ_HEARTBEAT_SEC).toBe(5);
    });

    it('need RABBITMQ_URL, which the CLI, the autoscaler and the rate limit read', () => {
      expect(configError({ RABBITMQ_URLS: 'amqp://mq-0/baton' }).problems).toEqual([
        'RABBITMQ_URLS needs RABBITMQ_URL: the CLI, the autoscaler and the rate limit read the broker from it',
      ]);
    });

    it.each([
      ['another vhost', 'amqp://mq-0/baton,amqp://mq-1/other'],
      ['the default vhost', 'amqp://mq-0/baton,amqp://mq-1'],
    ])('refuse a node on %s, without echoing the URLs', (_case, nodes) => {
      const error = configError({ RABBITMQ_URL: single, RABBITMQ_URLS: nodes });
      expect(error.problems).toEqual(['RABBITMQ_URLS must name the same vhost as RABBITMQ_URL on every node']);
      expect(error.message).not.toContain('secret');
    });

    it('read the default vhost the same with or without its slash', () => {
      expect(loadConfig({ RABBITMQ_URL: 'amqp://mq', RABBITMQ_URLS: 'amqp://mq-0/,amqp://mq-1/%2F' }).RABBITMQ_URLS).toHaveLength(2);
    });
  });

  describe('read replicas', () => {
    it('default to none, with a staleness bound of one second', () => {
      const config = loadConfig({});
      expect([config.DATABASE_READ_URL, config.DATABASE_READ_MIN_AGE_MS]).toEqual([undefined, 1000]);
    });

    it('take one or more comma-separated URLs, trimmed, and a bound from 0 to 60000', () => {
      const config = loadConfig({
        DATABASE_URL: 'postgres://baton:secret@primary:5432/baton',
        DATABASE_READ_URL: ' postgres://baton:secret@replica-1:5432/baton , postgresql://baton:secret@replica-2/baton,',
        DATABASE_READ_MIN_AGE_MS: '0',
      });
      expect(config.DATABASE_READ_URL).toEqual(['postgres://baton:secret@replica-1:5432/baton', 'postgresql://baton:secret@replica-2/baton']);
      expect(config.DATABASE_READ_MIN_AGE_MS).toBe(0);
      expect(loadConfig({ DATABASE_READ_MIN_AGE_MS: '60000' }).DATABASE_READ_MIN_AGE_MS).toBe(60_000);
    });

    it('need DATABASE_URL: the embedded database has no replicas', () => {
      expect(configError({ DATABASE_READ_URL: 'postgres://replica/baton' }).problems).toEqual([
        'DATABASE_READ_URL needs DATABASE_URL: read replicas are replicas of a PostgreSQL server, and the embedded database has none',
      ]);
    });
  });

  describe('rate limit and bootstrap key', () => {
    it('default to 6000 requests a minute, no Redis, no bootstrap key, tenant default', () => {
      const config = loadConfig({});
      expect([config.RATE_LIMIT_MAX, config.RATE_LIMIT_WINDOW_MS, config.REDIS_URL]).toEqual([6000, 60_000, undefined]);
      expect([config.BATON_BOOTSTRAP_API_KEY, config.BATON_BOOTSTRAP_TENANT]).toEqual([undefined, 'default']);
    });

    it('cache API keys for at most a minute by default, and not at all with 0', () => {
      expect(loadConfig({}).API_KEY_CACHE_MS).toBe(60_000);
      expect(loadConfig({ API_KEY_CACHE_MS: '0' }).API_KEY_CACHE_MS).toBe(0);
    });

    it('cache finished reads for 10 minutes under baton, waiting at most 50 ms on Redis, by default; 0 turns the cache off', () => {
      const config = loadConfig({});
      expect([config.READ_CACHE_TTL_SEC, config.READ_CACHE_PREFIX, config.READ_CACHE_TIMEOUT_MS]).toEqual([600, 'baton', 50]);
      const set = loadConfig({ READ_CACHE_TTL_SEC: '0', READ_CACHE_PREFIX: 'baton-prod:eu.1', READ_CACHE_TIMEOUT_MS: '20' });
      expect([set.READ_CACHE_TTL_SEC, set.READ_CACHE_PREFIX, set.READ_CACHE_TIMEOUT_MS]).toEqual([0, 'baton-prod:eu.1', 20]);
    });

    it('read a Redis URL with a password, TLS, and a bootstrap key in any token form', () => {
      const key = `${'a'.repeat(30)}._~+/=-`;
      const config = loadConfig({ REDIS_URL: 'rediss://:pw@redis:6380/2', BATON_BOOTSTRAP_API_KEY: key, BATON_BOOTSTRAP_TENANT: 'ops.team-1' });
      expect([config.REDIS_URL, config.BATON_BOOTSTRAP_API_KEY, config.BATON_BOOTSTRAP_TENANT]).toEqual(['rediss://:pw@redis:6380/2', key, 'ops.team-1']);
    });
  });

  describe('tracing', () => {
    it('accepts the OpenTelemetry variables the chart sets', () => {
      const config = loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/v1/traces',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_SERVICE_NAME: 'baton-api',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod',
      });
      expect([config.OTEL_EXPORTER_OTLP_ENDPOINT, config.OTEL_TRACES_SAMPLER, config.OTEL_TRACES_SAMPLER_ARG]).toEqual([
        'http://otel-collector.observability:4318',
        'parentbased_traceidratio',
        '0.25',
      ]);
    });

    it('leaves tracing off by default', () => {
      expect(loadConfig({}).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    });
  });

  describe('HTTP timeouts', () => {
    it('refuse a headers timeout longer than the request timeout, naming both', () => {
      const error = configError({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' });
      expect(error.message).toContain('HTTP_HEADERS_TIMEOUT_MS');
      expect(error.message).toContain('HTTP_REQUEST_TIMEOUT_MS');
    });

    it('accept equal timeouts', () => {
      expect(loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '10000', HTTP_REQUEST_TIMEOUT_MS: '10000' }).HTTP_HEADERS_TIMEOUT_MS).toBe(10_000);
    });
  });

  describe('CORS_ORIGINS', () => {
    it('is unset by default: no CORS at all', () => {
      expect(loadConfig({}).CORS_ORIGINS).toBeUndefined();
    });

    it('reads a comma-separated list of origins', () => {
      expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).CORS_ORIGINS).toEqual([
        'https://app.example.com',
        'http://localhost:5173',
      ]);
    });

    it('refuses something that is not an origin, naming the variable', () => {
      expect(() => loadConfig({ CORS_ORIGINS: 'app.example.com/path' })).toThrow(/CORS_ORIGINS/);
    });
  });

  describe('OPENAPI_ENABLED', () => {
    it('is true by default: the API serves its document', () => {
      expect(loadConfig({}).OPENAPI_ENABLED).toBe(true);
    });

    it.each([
      ['true', true],
      ['false', false],
      ['1', true],
      ['0', false],
      ['False', false],
    ])('reads %s', (value, expected) => {
      expect(loadConfig({ OPENAPI_ENABLED: value }).OPENAPI_ENABLED).toBe(expected);
    });

    it.each(['yes', 'off', '2'])('refuses %s, naming the variable', (value) => {
      expect(() => loadConfig({ OPENAPI_ENABLED: value })).toThrow(/OPENAPI_ENABLED must be true or false/);
    });
  });

  describe('HTTP_MAX_IN_FLIGHT', () => {
    it('holds 256 requests at once by default, and reads another bound', () => {
      expect(loadConfig({}).HTTP_MAX_IN_FLIGHT).toBe(256);
      expect(loadConfig({ HTTP_MAX_IN_FLIGHT: '32' }).HTTP_MAX_IN_FLIGHT).toBe(32);
    });

    it.each(['0', '100001', 'many'])('refuses %s, naming the variable', (value) => {
      expect(() => loadConfig({ HTTP_MAX_IN_FLIGHT: value })).toThrow(/HTTP_MAX_IN_FLIGHT/);
    });
  });

  describe('HTTP_MAX_IN_FLIGHT_BYTES', () => {
    it('holds 32 MiB of bodies at once by default, and reads another bound', () => {
      expect(loadConfig({}).HTTP_MAX_IN_FLIGHT_BYTES).toBe(33_554_432);
      expect(loadConfig({ HTTP_MAX_IN_FLIGHT_BYTES: '1048576' }).HTTP_MAX_IN_FLIGHT_BYTES).toBe(1_048_576);
    });

    it.each(['1048575', '4294967297', '32MiB'])('refuses %s, naming the variable', (value) => {
      expect(() => loadConfig({ HTTP_MAX_IN_FLIGHT_BYTES: value })).toThrow(/HTTP_MAX_IN_FLIGHT_BYTES/);
    });
  });

  describe('the dashboard', () => {
    it('is served, not read-only, with 8-hour sessions by default', () => {
      expect(loadConfig({})).toMatchObject({ DASHBOARD_ENABLED: true, DASHBOARD_READ_ONLY: false, DASHBOARD_SESSION_TTL_SEC: 28_800 });
    });

    it('reads its switches and session length', () => {
      expect(loadConfig({ DASHBOARD_ENABLED: '0', DASHBOARD_READ_ONLY: '1', DASHBOARD_SESSION_TTL_SEC: '3600' })).toMatchObject({
        DASHBOARD_ENABLED: false,
        DASHBOARD_READ_ONLY: true,
        DASHBOARD_SESSION_TTL_SEC: 3600,
      });
    });

    it.each([
      ['DASHBOARD_ENABLED', 'yes'],
      ['DASHBOARD_READ_ONLY', 'on'],
      ['DASHBOARD_SESSION_TTL_SEC', '299'],
      ['DASHBOARD_SESSION_TTL_SEC', '604801'],
      ['DASHBOARD_SESSION_TTL_SEC', '8h'],
    ])('refuses %s=%s, naming the variable', (name, value) => {
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
    });
  });

  describe('retention', () => {
    it('keeps completed and cancelled jobs a week, dead ones 30 days, and sweeps every minute by default', () => {
      expect(loadConfig({})).toMatchObject({
        JOB_RETENTION_COMPLETED_SEC: 604_800,
        JOB_RETENTION_DEAD_SEC: 2_592_000,
        JOB_RETENTION_CANCELLED_SEC: 604_800,
        JOB_RETENTION_SWEEP_MS: 60_000,
      });
    });

    it('reads seconds per status, 0 for forever, and the sweep interval', () => {
      const config = loadConfig({ JOB_RETENTION_COMPLETED_SEC: '2', JOB_RETENTION_DEAD_SEC: '0', JOB_RETENTION_CANCELLED_SEC: ' 315360000 ', JOB_RETENTION_SWEEP_MS: '100' });
      expect(config).toMatchObject({ JOB_RETENTION_COMPLETED_SEC: 2, JOB_RETENTION_DEAD_SEC: 0, JOB_RETENTION_CANCELLED_SEC: 315_360_000, JOB_RETENTION_SWEEP_MS: 100 });
    });
  });

  describe('DISABLED_JOB_TYPES', () => {
    it('is empty by default: the API accepts every job type', () => {
      expect(loadConfig({}).DISABLED_JOB_TYPES).toEqual([]);
    });

    it('reads a list of job types', () => {
      expect(loadConfig({ DISABLED_JOB_TYPES: 'emails, invoices' }).DISABLED_JOB_TYPES).toEqual(['emails', 'invoices']);
    });

    it('refuses a name that is no job type, naming the variable', () => {
      expect(configError({ DISABLED_JOB_TYPES: 'email' }).problems).toEqual([expect.stringContaining('DISABLED_JOB_TYPES may only contain workouts, invoices, emails')]);
    });
  });

  describe('WORKER_RATE_LIMITS', () => {
    it('is unset by default: no queue is limited', () => {
      expect(loadConfig({}).WORKER_RATE_LIMITS).toBeUndefined();
    });

    it('reads per-second, per-minute and per-hour rates', () => {
      expect(loadConfig({ WORKER_RATE_LIMITS: 'emails=10/s, invoices=600/m,workouts=5/h' }).WORKER_RATE_LIMITS).toEqual([
        { queue: 'emails', limit: 10, intervalMs: 1_000 },
        { queue: 'invoices', limit: 600, intervalMs: 60_000 },
        { queue: 'workouts', limit: 5, intervalMs: 3_600_000 },
      ]);
    });

    it.each([['emails=10'], ['emails=0/s'], ['emails=10/d'], ['email=10/s'], ['emails=10/s,emails=5/s'], ['emails=-1/s'], ['=10/s']])(
      'refuses %j, naming the variable',
      (value) => {
        expect(configError({ WORKER_RATE_LIMITS: value }).problems).toEqual([expect.stringMatching(/^WORKER_RATE_LIMITS must list/)]);
      },
    );
  });

  describe('SMTP_URL and MAIL_FROM', () => {
    it('accept smtp:// and smtps:// URLs with credentials, and an address with or without a name', () => {
      const config = loadConfig({ SMTP_URL: 'smtps://user:p%40ss@mail.example.com:465', MAIL_FROM: 'Example Shop <billing@example.com>' });
      expect(config.SMTP_URL).toBe('smtps://user:p%40ss@mail.example.com:465');
      expect(config.MAIL_FROM).toBe('Example Shop <billing@example.com>');
      expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'billing@example.com' }).MAIL_FROM).toBe('billing@example.com');
    });

    it.each([
      ['http://mail.example.com'],
      ['smtp://'],
      ['smtp://mail.example.com/path'],
      ['mail.example.com:25'],
      ['smtp://mail.example.com:99999'],
      ['smtp://mail.example.com?tls.rejectUnauthorized=false'],
    ])('refuse SMTP_URL %j, naming the variable and not quoting it', (value) => {
      const problems = configError({ SMTP_URL: value }).problems;
      expect(problems).toEqual([expect.stringMatching(/^SMTP_URL must /)]);
      expect(problems[0]).not.toContain(value);
    });

    it.each([['billing'], ['Shop <billing@example.com'], ['a@example.com, b@example.com'], ['Shop\r\nBcc: x@example.com <a@example.com>']])(
      'refuse MAIL_FROM %j, naming the variable',
      (value) => {
        expect(configError({ MAIL_FROM: value }).problems).toEqual([expect.stringMatching(/^MAIL_FROM must /)]);
      },
    );
  });

  describe('required variables', () => {
    it('may depend on the rest of the configuration (a worker consuming emails needs SMTP_URL and MAIL_FROM)', () => {
      const required = (config: { WORKER_QUEUES: string[] }) => (config.WORKER_QUEUES.includes('emails') ? (['SMTP_URL', 'MAIL_FROM'] as const) : []);
      expect(configError({ WORKER_QUEUES: 'emails' }, (config) => [...required(config)]).problems).toEqual(['SMTP_URL is required', 'MAIL_FROM is required']);
      expect(loadConfig({ WORKER_QUEUES: 'workouts' }, (config) => [...required(config)]).WORKER_QUEUES).toEqual(['workouts']);
    });
  });
});
