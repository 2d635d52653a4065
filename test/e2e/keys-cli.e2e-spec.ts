/**
 * The `keys` CLI from dist/, end to end: it creates, lists and revokes API
 * keys in the suite's own database, the API takes a created key at once and
 * refuses it from the request after its revocation, and `migrate` stores a
 * bootstrap key. A key is shown once, by `keys create`, and is stored
 * nowhere but as its SHA-256 hash.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  afterApiHearsKeyChange,
  ApiKeyRow,
  batonEnv,
  BatonProcess,
  CLI_MAIN,
  createTestBroker,
  createTestDatabase,
  runCli,
  sha256Hex,
  spawnNode,
  startBaton,
  TestDatabase,
  TestVhost,
  TEST_API_KEY,
  TEST_TENANT,
  waitFor,
} from '../support';
import { createEmptyDatabase, request, stopAll, UUID_PATTERN } from './e2e-support';

const GENERATED_KEY = /^baton_[A-Za-z0-9_-]{43}$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MINUTE = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z';
const KEY_FIELDS = ['createdAt', 'id', 'keyPrefix', 'lastUsedAt', 'name', 'revokedAt', 'scopes', 'tenant'];
const UNREACHABLE_DATABASE_URL = 'postgres://baton:top-secret-pw@127.0.0.1:1/none';

const sha256 = sha256Hex;


/** What `keys create --json` and `keys list --json` print for a key. */
interface KeyView {
  id: string;
  tenant: string;
  scopes: string[];
  name: string | null;
  keyPrefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  key?: string;
}

describe('keys CLI', () => {
  let db: TestDatabase;
  const env = () => ({ DATABASE_URL: db.url });
  const keys = (...args: string[]) => runCli(['keys', ...args], env());
  const keysApart = (...args: string[]) => runCli(['keys', ...args], env());

  beforeAll(async () => {
    db = await createTestDatabase('baton_e2e_keys');
  });

  afterAll(async () => {
    await db?.drop();
  });

  /** A tenant of the test's own, so that lists and counts see only its keys. */
  const freshTenant = (label = 't') => `${label}-${randomUUID().slice(0, 8)}`;

  async function totalKeys(): Promise<number> {
    const [{ count }] = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM api_keys');
    return count;
  }

  async function rowByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
    const [row] = await db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE key_hash = $1', [keyHash]);
    return row;
  }

  async function rowById(id: string): Promise<ApiKeyRow | undefined> {
    const [row] = await db.query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]);
    return row;
  }

  /** Rows of api_keys whose any column, as text, contains `text`. */
  async function rowsContaining(text: string): Promise<number> {
    const [{ count }] = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM api_keys t WHERE strpos(t::text, $1) > 0', [text]);
    return count;
  }

  /** `keys create --json` for a tenant; fails the test unless it worked. */
  async function createKey(tenant: string, ...extra: string[]): Promise<KeyView & { key: string }> {
    const result = await keysApart('create', '--tenant', tenant, '--json', ...extra);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(result.stdout);
  }

  describe('keys create', () => {
    it('prints only the key on stdout, the explanation on stderr, and stores only its hash and first 12 characters', async () => {
      const tenant = freshTenant('plain');

      const result = await keysApart('create', '--tenant', tenant, '--name', 'mobile backend');

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^baton_[A-Za-z0-9_-]{43}\n$/);
      const key = result.stdout.trim();
      const row = await rowByHash(sha256(key));
      expect(row).toMatchObject({
        tenant,
        name: 'mobile backend',
        scopes: ['jobs:write', 'jobs:read'],
        key_hash: sha256(key),
        key_prefix: key.slice(0, 12),
        last_used_at: null,
        revoked_at: null,
      });
      expect(row!.id).toMatch(UUID_PATTERN);
      expect(result.stderr.trim()).toBe(`Created API key ${row!.id} for tenant ${tenant} (jobs:write, jobs:read). It is shown only this once: store it now.`);
      expect(result.stderr).not.toContain(key);
      expect(await rowsContaining(key)).toBe(0);
    });

    it('prints one JSON object with --json, the key in it once', async () => {
      const tenant = freshTenant('json');

      const result = await keysApart('create', '--tenant', tenant, '--name', 'billing', '--json');

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      const created: KeyView & { key: string } = JSON.parse(result.stdout);
      expect(Object.keys(created).sort()).toEqual([...KEY_FIELDS, 'key'].sort());
      expect(created.key).toMatch(GENERATED_KEY);
      expect(created).toEqual({
        id: expect.stringMatching(UUID_PATTERN),
        tenant,
        scopes: ['jobs:write', 'jobs:read'],
        name: 'billing',
        keyPrefix: created.key.slice(0, 12),
        createdAt: expect.stringMatching(ISO_TIMESTAMP),
        lastUsedAt: null,
        revokedAt: null,
        key: created.key,
      });
      const row = await rowById(created.id);
      expect(row).toMatchObject({ tenant, key_hash: sha256(created.key), key_prefix: created.key.slice(0, 12), name: 'billing' });
      expect(row!.created_at.toISOString()).toBe(created.createdAt);
      expect(result.stdout.split(created.key)).toHaveLength(2);
      expect(await rowsContaining(created.key)).toBe(0);
    });

    it('makes a different key every time', async () => {
      const tenant = freshTenant('many');
      const created = await Promise.all([0, 1, 2].map(() => createKey(tenant)));

      expect(new Set(created.map(({ key }) => key)).size).toBe(3);
      expect(new Set(created.map(({ id }) => id)).size).toBe(3);
    });

    it.each([
      ['one --scope', ['--scope', 'admin'], ['admin']],
      ['repeated --scope', ['--scope', 'jobs:read', '--scope', 'admin'], ['jobs:read', 'admin']],
      ['a comma list', ['--scope', 'jobs:read,jobs:write'], ['jobs:read', 'jobs:write']],
      ['a comma list with spaces, and another flag', ['--scope', 'jobs:read, admin', '--scope', 'jobs:write'], ['jobs:read', 'admin', 'jobs:write']],
      ['a scope given twice', ['--scope', 'admin,admin', '--scope', 'admin'], ['admin']],
      ['the --scope=value form', ['--scope=jobs:read'], ['jobs:read']],
    ])('grants the scopes asked for: %s', async (_, flags, scopes) => {
      const created = await createKey(freshTenant('scopes'), ...flags);

      expect(created.scopes).toEqual(scopes);
      expect((await rowById(created.id))!.scopes).toEqual(scopes);
    });

    it('stores no name unless given one', async () => {
      const created = await createKey(freshTenant('noname'));

      expect(created.name).toBeNull();
      expect((await rowById(created.id))!.name).toBeNull();
    });

    it.each([
      ['an uppercase tenant', ['--tenant', 'Acme'], 'tenant must match'],
      ['a tenant with a space', ['--tenant', 'acme corp'], 'tenant must match'],
      ['an empty tenant', ['--tenant', ''], 'tenant must match'],
      ['an unknown scope', ['--tenant', 'acme', '--scope', 'jobs:delete'], 'unknown scope jobs:delete; scopes are jobs:write, jobs:read, admin'],
      ['an unknown scope among known ones', ['--tenant', 'acme', '--scope', 'jobs:read,root'], 'unknown scope root'],
      ['an empty scope', ['--tenant', 'acme', '--scope', ''], 'a key needs at least one scope'],
      ['a scope of commas only', ['--tenant', 'acme', '--scope', ', ,'], 'a key needs at least one scope'],
      ['an empty name', ['--tenant', 'acme', '--name', ''], 'name must be 1 to 200 characters'],
    ])('exits 1 for %s, with a clear message and no key stored', async (_, flags, message) => {
      const before = await totalKeys();

      const result = await keysApart('create', ...flags);

      expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
      expect(result.stderr).toContain(`baton: ${message}`);
      expect(result.stderr).not.toContain('usage:');
      expect(await totalKeys()).toBe(before);
    });

    it.each([
      ['without --tenant', ['create'], 'keys create needs --tenant <name>'],
      ['with an unknown option', ['create', '--tenant', 'acme', '--frobnicate'], '--frobnicate'],
      ['with --tenant lacking its value', ['create', '--tenant'], '--tenant'],
      ['with a stray argument', ['create', '--tenant', 'acme', 'extra'], 'extra'],
    ])('exits 2 with the usage %s, storing nothing', async (_, args, message) => {
      const before = await totalKeys();

      const result = await keys(...args);

      expect(result.code).toBe(2);
      expect(result.output).toContain(message);
      expect(result.output).toContain('usage: baton');
      expect(await totalKeys()).toBe(before);
    });
  });

  describe('keys list', () => {
    let tenant: string;
    let other: string;
    let active: KeyView & { key: string };
    let revoked: KeyView & { key: string };
    let elsewhere: KeyView & { key: string };

    beforeAll(async () => {
      [tenant, other] = [freshTenant('list'), freshTenant('other')];
      active = await createKey(tenant, '--name', 'active one', '--scope', 'jobs:read,jobs:write');
      revoked = await createKey(tenant, '--scope', 'admin');
      elsewhere = await createKey(other, '--name', 'elsewhere');
      const revocation = await keys('revoke', revoked.id);
      expect(revocation.code).toBe(0);
    });

    it('prints a table of one tenant’s keys with --tenant: prefix, scopes, status, dates and name, never a key', async () => {
      const result = await keysApart('list', '--tenant', tenant);

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^ID +TENANT +KEY +SCOPES +STATUS +CREATED +LAST USED +NAME$/);
      expect(lines[1]).toMatch(
        new RegExp(`^${active.id} +${tenant} +${escape(active.keyPrefix)}… +jobs:read,jobs:write +active +${MINUTE} +- +active one$`),
      );
      expect(lines[2]).toMatch(new RegExp(`^${revoked.id} +${tenant} +${escape(revoked.keyPrefix)}… +admin +revoked ${MINUTE} +${MINUTE} +-$`));
      // Columns line up under their headers.
      expect(lines[1].indexOf(tenant)).toBe(lines[0].indexOf('TENANT'));
      expect(lines[2].indexOf('revoked')).toBe(lines[0].indexOf('STATUS'));
      expect(result.stdout).not.toContain(elsewhere.id);
      for (const { key } of [active, revoked, elsewhere]) expect(result.stdout).not.toContain(key);
    });

    it('lists every tenant’s keys without --tenant', async () => {
      const result = await keys('list');

      expect(result.code).toBe(0);
      for (const { id, key } of [active, revoked, elsewhere]) {
        expect(result.output).toContain(id);
        expect(result.output).not.toContain(key);
      }
      expect(result.output).toContain(TEST_TENANT);
      expect(result.output).not.toContain(TEST_API_KEY);
    });

    it('prints a JSON array with --json, filtered by --tenant, revoked keys with their date, and no key', async () => {
      const result = await keysApart('list', '--tenant', tenant, '--json');

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const listed: KeyView[] = JSON.parse(result.stdout);
      expect(listed.map(({ id }) => id)).toEqual([active.id, revoked.id]);
      for (const view of listed) expect(Object.keys(view).sort()).toEqual(KEY_FIELDS);
      expect(listed[0]).toEqual(withoutKey(active));
      expect(listed[1]).toEqual({ ...withoutKey(revoked), revokedAt: expect.stringMatching(ISO_TIMESTAMP) });
      const [row] = await db.query<{ revoked_at: Date }>('SELECT revoked_at FROM api_keys WHERE id = $1', [revoked.id]);
      expect(listed[1].revokedAt).toBe(row.revoked_at.toISOString());
      for (const { key } of [active, revoked]) expect(result.stdout).not.toContain(key);

      const everything: KeyView[] = JSON.parse((await keysApart('list', '--json')).stdout);
      expect(everything.map(({ id }) => id)).toEqual(expect.arrayContaining([active.id, revoked.id, elsewhere.id]));
      expect(everything).toHaveLength(await totalKeys());
    });

    it('says so on stderr, and prints nothing on stdout, for a tenant without keys', async () => {
      const nobody = freshTenant('nobody');

      const result = await keysApart('list', '--tenant', nobody);
      expect(result).toMatchObject({ code: 0, stdout: '', stderr: `no API keys for tenant ${nobody}\n` });

      const json = await keysApart('list', '--tenant', nobody, '--json');
      expect({ code: json.code, list: JSON.parse(json.stdout) }).toEqual({ code: 0, list: [] });
    });

    it('exits 2 for an unknown option or an argument', async () => {
      expect((await keys('list', '--all')).code).toBe(2);
      expect((await keys('list', tenant)).code).toBe(2);
    });
  });

  describe('keys revoke', () => {
    it('revokes a key: exit 0, says which, and sets revoked_at', async () => {
      const tenant = freshTenant('revoke');
      const created = await createKey(tenant);

      const result = await keysApart('revoke', created.id);

      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
        code: 0,
        stdout: `revoked ${created.id} (tenant ${tenant}, ${created.keyPrefix}…)\n`,
        stderr: '',
      });
      const row = await rowById(created.id);
      expect(row!.revoked_at).toBeInstanceOf(Date);
      expect(row!.revoked_at!.getTime()).toBeGreaterThanOrEqual(row!.created_at.getTime());
    });

    it('keeps the first revocation date when revoking twice, and exits 0 both times', async () => {
      const created = await createKey(freshTenant('twice'));
      const revokedAt = async () => (await db.query<{ at: string }>('SELECT revoked_at::text AS at FROM api_keys WHERE id = $1', [created.id]))[0].at;

      expect((await keys('revoke', created.id)).code).toBe(0);
      const first = await revokedAt();
      const again = await keys('revoke', created.id);

      expect(first).not.toBeNull();
      expect(again.code).toBe(0);
      expect(again.output).toContain(`revoked ${created.id}`);
      expect(await revokedAt()).toBe(first);
    });

    it('revokes only the key named', async () => {
      const tenant = freshTenant('only');
      const [kept, dropped] = [await createKey(tenant), await createKey(tenant)];

      expect((await keys('revoke', dropped.id)).code).toBe(0);

      expect((await rowById(kept.id))!.revoked_at).toBeNull();
      expect((await rowById(dropped.id))!.revoked_at).not.toBeNull();
    });

    it('exits 1 for an unknown id, saying there is no such key', async () => {
      const id = randomUUID();

      const result = await keys('revoke', id);

      expect({ code: result.code, output: result.output.trim() }).toEqual({ code: 1, output: `baton: no API key ${id}` });
    });

    it('exits 1 for an id that is not a UUID, saying so', async () => {
      const before = await db.query<{ id: string }>('SELECT id FROM api_keys WHERE revoked_at IS NULL ORDER BY id');

      const result = await keys('revoke', 'baton_abc');

      expect(result.code).toBe(1);
      expect(result.output).toContain('baton: baton_abc is not a key id');
      expect(result.output).not.toContain('usage:');
      expect(await db.query('SELECT id FROM api_keys WHERE revoked_at IS NULL ORDER BY id')).toEqual(before);
    });

    it('exits 2 with the usage without an id, or with two', async () => {
      const missing = await keys('revoke');
      expect(missing.code).toBe(2);
      expect(missing.output).toContain('keys revoke takes one key id');
      expect(missing.output).toContain('usage: baton');

      expect((await keys('revoke', randomUUID(), randomUUID())).code).toBe(2);
    });
  });

  describe('command line and environment', () => {
    it('exits 2 with the usage for an unknown subcommand, and for none', async () => {
      const unknown = await keys('rotate');
      expect(unknown.code).toBe(2);
      expect(unknown.output).toContain('unknown keys subcommand: rotate');
      expect(unknown.output).toContain('usage: baton');

      const none = await keys();
      expect(none.code).toBe(2);
      expect(none.output).toContain('keys needs a subcommand: create, list or revoke');
    });

    it('exits 1 naming DATABASE_URL when it is unset', async () => {
      const result = await runCli(['keys', 'list'], {});

      expect({ code: result.code, output: result.output }).toEqual({ code: 1, output: expect.stringContaining('DATABASE_URL') });
    });

    it.each([
      ['keys list', ['keys', 'list']],
      ['keys create', ['keys', 'create', '--tenant', 'acme']],
      ['keys revoke', ['keys', 'revoke', '00000000-0000-4000-8000-000000000000']],
    ])('%s exits 1, quickly and without printing the password, when the database is unreachable', async (_, args) => {
      const started = Date.now();

      const result = await runCli(args, { DATABASE_URL: UNREACHABLE_DATABASE_URL });

      expect(result.code).toBe(1);
      expect(result.output).toMatch(/^baton: /m);
      expect(result.output).not.toContain('top-secret-pw');
      expect(result.output).not.toMatch(/^baton_/m);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  describe('against a running API', () => {
    let vhost: TestVhost | undefined;
    let processes: BatonProcess[] = [];
    let api: BatonProcess;

    beforeAll(async () => {
      vhost = await createTestBroker('baton_e2e_keys');
      ({ api, processes } = await startBaton(batonEnv(db, vhost)));
    });

    afterAll(async () => {
      const exits = await stopAll(processes);
      await vhost?.drop();
      for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
    });

    const getJob = (apiKey: string | null, id = randomUUID()) => request(api.url, 'GET', `/v1/jobs/${id}`, { apiKey });

    it('takes a key made by `keys create` at once (404 for an unknown job, not 401), and refuses it once the API has heard of `keys revoke`', async () => {
      const created = await keysApart('create', '--tenant', freshTenant('live'), '--scope', 'jobs:read');
      expect(created.code).toBe(0);
      const key = created.stdout.trim();
      expect(key).toMatch(GENERATED_KEY);

      const before = await getJob(key);
      expect({ status: before.status, body: before.body }).toEqual({ status: 404, body: expect.objectContaining({ statusCode: 404 }) });

      const [{ id }] = await db.query<{ id: string }>('SELECT id FROM api_keys WHERE key_hash = $1', [sha256(key)]);
      await afterApiHearsKeyChange(api.url, async () => expect((await keys('revoke', id)).code).toBe(0));

      const after = await getJob(key);
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toBe('Bearer realm="baton", error="invalid_token"');
      expect(after.text).not.toContain(key);
      // Other keys are untouched.
      expect((await getJob(TEST_API_KEY)).status).toBe(404);
    });

    it('holds a key to the scopes it was created with: jobs:write alone cannot read jobs (403)', async () => {
      const { key } = await createKey(freshTenant('writer'), '--scope', 'jobs:write');

      const answer = await getJob(key);

      expect(answer.status).toBe(403);
      expect(answer.headers.get('www-authenticate')).toContain('insufficient_scope');
    });

    it('refuses a key that was never created, and no key at all (401)', async () => {
      const forged = `baton_${randomBytes(32).toString('base64url')}`;

      expect((await getJob(forged)).status).toBe(401);
      expect((await getJob(null)).status).toBe(401);
    });

    it('shows when a key was last used in `keys list`', async () => {
      const tenant = freshTenant('used');
      const created = await createKey(tenant, '--scope', 'jobs:read');
      expect((await getJob(created.key)).status).toBe(404);

      const listed = await waitFor('keys list to show the key as used', async () => {
        const [view] = JSON.parse((await keysApart('list', '--tenant', tenant, '--json')).stdout) as KeyView[];
        return view.lastUsedAt === null ? undefined : view;
      });
      expect(listed.lastUsedAt).toMatch(ISO_TIMESTAMP);
      expect(Date.parse(listed.lastUsedAt!)).toBeGreaterThanOrEqual(Date.parse(created.createdAt));

      const table = await keys('list', '--tenant', tenant);
      expect(table.output.trimEnd().split('\n')[1]).toMatch(new RegExp(`^${created.id} +${tenant} +\\S+ +jobs:read +active +${MINUTE} +${MINUTE}$`));
    });
  });

  describe('migrate with a bootstrap key', () => {
    let empty: Awaited<ReturnType<typeof createEmptyDatabase>>;
    const bootstrapKey = `ops_${randomBytes(32).toString('base64url')}`;

    const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
      const { Client } = await import('pg');
      const client = new Client({ connectionString: empty.url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as T[];
      } finally {
        await client.end();
      }
    };
    const keyRows = () => query<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at, id');

    beforeAll(async () => {
      empty = await createEmptyDatabase('baton_e2e_keys_bootstrap');
    });

    afterAll(async () => {
      await empty?.drop();
    });

    it('applies the migrations and stores the key, hashed, with scope admin for BATON_BOOTSTRAP_TENANT', async () => {
      const result = await runCli(['migrate'], { DATABASE_URL: empty.url, BATON_BOOTSTRAP_API_KEY: bootstrapKey, BATON_BOOTSTRAP_TENANT: 'ops' });

      expect(result.code).toBe(0);
      expect(result.output).toContain('applied: CreateJobPipeline1763800000000');
      expect(result.output).toContain('TenantsAndApiKeys1764000000000');
      const stored = /^bootstrap API key stored: (\S+) \(tenant ops, scope admin\)$/m.exec(result.output);
      expect(stored).not.toBeNull();
      expect(result.output).not.toContain(bootstrapKey);

      const rows = await keyRows();
      expect(rows).toEqual([
        expect.objectContaining({
          id: stored![1],
          tenant: 'ops',
          name: 'bootstrap',
          scopes: ['admin'],
          key_hash: sha256(bootstrapKey),
          key_prefix: bootstrapKey.slice(0, 12),
          revoked_at: null,
        }),
      ]);
      expect(JSON.stringify(rows)).not.toContain(bootstrapKey);
    });

    it('says the key is already stored on a second run, and adds no row', async () => {
      const before = await keyRows();

      const result = await runCli(['migrate'], { DATABASE_URL: empty.url, BATON_BOOTSTRAP_API_KEY: bootstrapKey, BATON_BOOTSTRAP_TENANT: 'ops' });

      expect({ code: result.code, output: result.output.trim() }).toEqual({ code: 0, output: 'database is up to date\nbootstrap API key already stored' });
      expect(await keyRows()).toEqual(before);
    });

    it('stores the key for the tenant `default` without BATON_BOOTSTRAP_TENANT', async () => {
      const other = `dflt_${randomBytes(32).toString('base64url')}`;

      const result = await runCli(['migrate'], { DATABASE_URL: empty.url, BATON_BOOTSTRAP_API_KEY: other });

      expect(result.code).toBe(0);
      expect(result.output).toMatch(/^bootstrap API key stored: \S+ \(tenant default, scope admin\)$/m);
      const [row] = await query<ApiKeyRow>('SELECT * FROM api_keys WHERE key_hash = $1', [sha256(other)]);
      expect(row).toMatchObject({ tenant: 'default', scopes: ['admin'], name: 'bootstrap' });
    });

    it('leaves a revoked bootstrap key revoked when migrate runs again (an upgrade does not bring it back)', async () => {
      const [{ id }] = await query<{ id: string }>('SELECT id FROM api_keys WHERE key_hash = $1', [sha256(bootstrapKey)]);
      expect((await runCli(['keys', 'revoke', id], { DATABASE_URL: empty.url })).code).toBe(0);
      const before = await keyRows();

      const result = await runCli(['migrate'], { DATABASE_URL: empty.url, BATON_BOOTSTRAP_API_KEY: bootstrapKey, BATON_BOOTSTRAP_TENANT: 'ops' });

      expect({ code: result.code, output: result.output.trim() }).toEqual({ code: 0, output: 'database is up to date\nbootstrap API key already stored' });
      expect(await keyRows()).toEqual(before);
      expect(before.find((row) => row.id === id)!.revoked_at).toBeInstanceOf(Date);
    });

    it.each([
      ['too short', 'short-s3cr3t-value'],
      ['with a space', `s3cr3t value ${'x'.repeat(40)}`],
      ['with a colon', `s3cr3t:${'x'.repeat(40)}`],
    ])('exits 1 for a malformed key (%s), naming BATON_BOOTSTRAP_API_KEY without printing it, and stores nothing', async (_, malformed) => {
      const before = await keyRows();

      const result = await runCli(['migrate'], { DATABASE_URL: empty.url, BATON_BOOTSTRAP_API_KEY: malformed, BATON_BOOTSTRAP_TENANT: 'ops' });

      expect(result.code).toBe(1);
      expect(result.output).toContain('BATON_BOOTSTRAP_API_KEY');
      expect(result.output).not.toContain(malformed);
      expect(result.output).not.toContain('s3cr3t');
      expect(await keyRows()).toEqual(before);
    });

    it('exits 1 for a bad BATON_BOOTSTRAP_TENANT, naming it, and stores nothing', async () => {
      const before = await keyRows();

      const result = await runCli(['migrate'], {
        DATABASE_URL: empty.url,
        BATON_BOOTSTRAP_API_KEY: `ops_${randomBytes(32).toString('base64url')}`,
        BATON_BOOTSTRAP_TENANT: 'Ops Team',
      });

      expect(result.code).toBe(1);
      expect(result.output).toContain('BATON_BOOTSTRAP_TENANT');
      expect(await keyRows()).toEqual(before);
    });
  });
});

/** `text` with the characters that mean something in a regular expression escaped. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function withoutKey({ key: _key, ...view }: KeyView): KeyView {
  return view;
}
