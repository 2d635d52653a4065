/**
 * API keys on the real database: ApiKeyService over ApiKeyRepository, with
 * the migrations applied. Keys are only ever stored as hashes.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiKeyInputError, ApiKeyService, ApiScope, generateApiKey, hashApiKey } from '@baton/auth';
import { ApiKeyRepository, createDataSource } from '@baton/persistence';
import { BATON_SCHEMA } from '@baton/jobs';
import { createTestDatabase, TestDatabase } from '../support/services';
import { waitFor } from '../support/wait-for';
import { ApiKeyRow } from '../support/api-keys';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;


describe('API keys (PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let repository: ApiKeyRepository;
  let service: ApiKeyService;

  beforeAll(async () => {
    db = await createTestDatabase('baton_api_keys');
    ds = await createDataSource({ url: db.url, poolSize: 4, applicationName: 'baton-api-keys-test', schema: BATON_SCHEMA }).initialize();
    repository = new ApiKeyRepository(ds);
    service = new ApiKeyService(repository);
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  /** A tenant of the test's own, so that counts and lists see only its keys. */
  const freshTenant = () => `t-${randomUUID().slice(0, 8)}`;

  async function rowsOf(tenant: string): Promise<ApiKeyRow[]> {
    return ds.query(`SELECT * FROM api_keys WHERE tenant = $1 ORDER BY created_at, id`, [tenant]);
  }

  async function rowById(id: string): Promise<ApiKeyRow | undefined> {
    const [row] = await ds.query(`SELECT * FROM api_keys WHERE id = $1`, [id]);
    return row;
  }

  async function totalKeys(): Promise<number> {
    const [{ count }] = await ds.query(`SELECT count(*)::int AS count FROM api_keys`);
    return count;
  }

  /** The ApiKeyInputError a promise rejects with; fails the test if it resolves or rejects with something else. */
  async function inputError(promise: Promise<unknown>): Promise<ApiKeyInputError> {
    const error = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ApiKeyInputError);
    return error as ApiKeyInputError;
  }

  describe('create, authenticate, revoke', () => {
    it('creates a key stored only as its hash, authenticates it, and refuses it from the moment it is revoked', async () => {
      const tenant = freshTenant();

      const { key, record } = await service.create({ tenant, scopes: [ApiScope.JobsRead, ApiScope.JobsWrite], name: 'mobile backend' });

      expect(key).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
      expect(record).toMatchObject({
        tenant,
        name: 'mobile backend',
        scopes: ['jobs:read', 'jobs:write'],
        keyHash: hashApiKey(key),
        keyPrefix: key.slice(0, 12),
        lastUsedAt: null,
        revokedAt: null,
      });
      expect(record.id).toMatch(UUID_PATTERN);
      expect(record.createdAt).toBeInstanceOf(Date);

      const row = await rowById(record.id);
      expect(row).toMatchObject({ tenant, key_hash: hashApiKey(key), key_prefix: key.slice(0, 12), revoked_at: null });
      // The key itself is nowhere in the table.
      const [{ found }] = await ds.query(`SELECT count(*)::int AS found FROM api_keys t WHERE strpos(t::text, $1) > 0`, [key]);
      expect(found).toBe(0);

      await expect(service.authenticate(key)).resolves.toEqual({ keyId: record.id, tenant, scopes: ['jobs:read', 'jobs:write'] });

      const revoked = await service.revoke(record.id);
      expect(revoked).toMatchObject({ id: record.id, tenant, revokedAt: expect.any(Date) });
      expect(revoked!.revokedAt!.getTime()).toBeGreaterThanOrEqual(record.createdAt.getTime());
      expect((await rowById(record.id))!.revoked_at).toEqual(revoked!.revokedAt);

      await expect(service.authenticate(key)).resolves.toBeNull();
      // Also for another service instance (another replica): nothing is cached.
      await expect(new ApiKeyService(new ApiKeyRepository(ds)).authenticate(key)).resolves.toBeNull();
    });

    it('keeps the first revocation date when a key is revoked twice', async () => {
      const { record } = await service.create({ tenant: freshTenant(), scopes: [ApiScope.Admin] });
      // To the microsecond, as PostgreSQL keeps it (a Date holds milliseconds only).
      const revokedAt = async () => ((await ds.query(`SELECT revoked_at::text AS at FROM api_keys WHERE id = $1`, [record.id])) as Array<{ at: string | null }>)[0].at;

      const first = await service.revoke(record.id);
      const firstAt = await revokedAt();
      const second = await service.revoke(record.id);

      expect(firstAt).not.toBeNull();
      expect(first!.revokedAt).toBeInstanceOf(Date);
      expect(second!.revokedAt).toEqual(first!.revokedAt);
      expect(await revokedAt()).toBe(firstAt);
    });

    it('revoking an unknown id is null and changes nothing; an id that is not a UUID is an input error', async () => {
      const before = await totalKeys();

      await expect(service.revoke(randomUUID())).resolves.toBeNull();
      const error = await inputError(service.revoke('not-a-uuid'));
      expect(error.message).toContain('not-a-uuid');
      await inputError(service.revoke("'; DROP TABLE api_keys; --"));

      expect(await totalKeys()).toBe(before);
    });

    it('revoking one key leaves the tenant’s other keys working', async () => {
      const tenant = freshTenant();
      const kept = await service.create({ tenant, scopes: [ApiScope.JobsRead] });
      const dropped = await service.create({ tenant, scopes: [ApiScope.JobsRead] });

      await service.revoke(dropped.record.id);

      await expect(service.authenticate(dropped.key)).resolves.toBeNull();
      await expect(service.authenticate(kept.key)).resolves.toEqual({ keyId: kept.record.id, tenant, scopes: ['jobs:read'] });
    });
  });

  describe('authenticate', () => {
    it.each([
      ['the empty string', ''],
      ['a short token', 'short'],
      ['a token with a space', `${generateApiKey()} x`],
      ['a token of 257 characters', 'a'.repeat(257)],
      ['an SQL fragment', "' OR '1'='1' OR 'aaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ])('is null for a malformed token: %s', async (_, token) => {
      await expect(service.authenticate(token)).resolves.toBeNull();
    });

    it('is null for a malformed token even when its hash is stored', async () => {
      // Stored behind the service's back: the check of the form comes first.
      const malformed = 'short key';
      await repository.insert({ id: randomUUID(), tenant: freshTenant(), scopes: ['admin'], keyHash: hashApiKey(malformed), keyPrefix: 'short key' });

      await expect(service.authenticate(malformed)).resolves.toBeNull();
    });

    it('is null for a well-formed key that was never stored', async () => {
      await expect(service.authenticate(generateApiKey())).resolves.toBeNull();
    });

    it('is null for the stored key with one letter of another case', async () => {
      const { key } = await service.create({ tenant: freshTenant(), scopes: [ApiScope.Admin] });
      // The first letter of the random part (43 random characters hold one).
      const at = 6 + key.slice(6).search(/[A-Za-z]/);
      const letter = key[at];
      const changed = key.slice(0, at) + (letter === letter.toUpperCase() ? letter.toLowerCase() : letter.toUpperCase()) + key.slice(at + 1);
      expect(changed).not.toBe(key);

      await expect(service.authenticate(changed)).resolves.toBeNull();
      await expect(service.authenticate(key)).resolves.not.toBeNull();
    });

    it('records last_used_at, off the request path', async () => {
      const { key, record } = await service.create({ tenant: freshTenant(), scopes: [ApiScope.JobsRead] });
      expect((await rowById(record.id))!.last_used_at).toBeNull();

      await expect(service.authenticate(key)).resolves.not.toBeNull();

      const lastUsed = await waitFor('last_used_at to be recorded', async () => (await rowById(record.id))?.last_used_at ?? undefined);
      expect(lastUsed).toBeInstanceOf(Date);
      expect(lastUsed.getTime()).toBeGreaterThanOrEqual(record.createdAt.getTime());
      const [listed] = await service.list(record.tenant);
      expect(listed.lastUsedAt).toEqual(lastUsed);
    });
  });

  describe('import', () => {
    it('stores a key chosen elsewhere, hashed, and authenticates it', async () => {
      const tenant = freshTenant();
      const key = `bootstrap-${randomUUID()}`;

      const stored = await service.import(key, { tenant, scopes: [ApiScope.Admin], name: 'bootstrap' });

      expect(stored).toMatchObject({ tenant, name: 'bootstrap', scopes: ['admin'], keyHash: hashApiKey(key), keyPrefix: key.slice(0, 12), revokedAt: null });
      await expect(service.authenticate(key)).resolves.toEqual({ keyId: stored!.id, tenant, scopes: ['admin'] });
    });

    it('is idempotent: a second import is null and stores no second row, nor changes the first', async () => {
      const tenant = freshTenant();
      const key = generateApiKey();

      const first = await service.import(key, { tenant, scopes: [ApiScope.Admin], name: 'bootstrap' });
      const second = await service.import(key, { tenant, scopes: [ApiScope.Admin], name: 'bootstrap' });
      const elsewhere = await service.import(key, { tenant: freshTenant(), scopes: [ApiScope.JobsRead], name: 'other' });

      expect(first).not.toBeNull();
      expect(second).toBeNull();
      expect(elsewhere).toBeNull();
      const [{ count }] = await ds.query(`SELECT count(*)::int AS count FROM api_keys WHERE key_hash = $1`, [hashApiKey(key)]);
      expect(count).toBe(1);
      expect(await rowsOf(tenant)).toEqual([expect.objectContaining({ id: first!.id, name: 'bootstrap', scopes: ['admin'] })]);
    });

    it.each([
      ['too short', 'a'.repeat(31)],
      ['too long', 'a'.repeat(257)],
      ['with a space', `${'a'.repeat(20)} ${'a'.repeat(20)}`],
      ['with a newline', `${generateApiKey()}\n`],
      ['with a colon', `${'a'.repeat(20)}:${'a'.repeat(20)}`],
    ])('rejects a malformed key (%s), storing nothing', async (_, key) => {
      const before = await totalKeys();

      const error = await inputError(service.import(key, { tenant: freshTenant(), scopes: [ApiScope.Admin] }));

      expect(error.message).toContain('32 to 256 characters');
      expect(error.message).not.toContain(key);
      expect(await totalKeys()).toBe(before);
    });

    it('validates the tenant and scopes of an imported key', async () => {
      const before = await totalKeys();

      await inputError(service.import(generateApiKey(), { tenant: 'Not A Tenant', scopes: [ApiScope.Admin] }));
      await inputError(service.import(generateApiKey(), { tenant: freshTenant(), scopes: ['root'] }));

      expect(await totalKeys()).toBe(before);
    });
  });

  describe('create: what it refuses', () => {
    it.each([
      ['uppercase', 'Acme'],
      ['empty', ''],
      ['a space', 'ac me'],
      ['a leading dash', '-acme'],
      ['a slash', 'acme/eu'],
      ['64 characters', 'a'.repeat(64)],
    ])('refuses a bad tenant (%s), storing nothing', async (_, tenant) => {
      const before = await totalKeys();

      const error = await inputError(service.create({ tenant, scopes: [ApiScope.JobsRead] }));

      expect(error.message).toMatch(/^tenant must match/);
      expect(await totalKeys()).toBe(before);
    });

    it('accepts a tenant of 63 characters', async () => {
      const tenant = `a${randomUUID().replace(/-/g, '')}`.padEnd(63, 'z');

      const { record } = await service.create({ tenant, scopes: [ApiScope.JobsRead] });

      expect(record.tenant).toBe(tenant);
    });

    it('refuses an unknown scope, naming it and the known ones, storing nothing', async () => {
      const before = await totalKeys();

      const error = await inputError(service.create({ tenant: freshTenant(), scopes: [ApiScope.JobsRead, 'jobs:delete'] }));

      expect(error.message).toContain('unknown scope jobs:delete');
      expect(error.message).toContain('jobs:write, jobs:read, admin');
      expect(await totalKeys()).toBe(before);
    });

    it('refuses a key without a scope, storing nothing', async () => {
      const before = await totalKeys();

      const error = await inputError(service.create({ tenant: freshTenant(), scopes: [] }));

      expect(error.message).toContain('at least one scope');
      expect(await totalKeys()).toBe(before);
    });

    it.each([
      ['empty', ''],
      ['201 characters', 'n'.repeat(201)],
      ['two lines', 'mobile\nbackend'],
      ['a terminal escape', 'mobile \u001b[2Jbackend'],
    ])('refuses a name that is %s, storing nothing', async (_, name) => {
      const before = await totalKeys();

      await inputError(service.create({ tenant: freshTenant(), scopes: [ApiScope.JobsRead], name }));

      expect(await totalKeys()).toBe(before);
    });

    it('stores duplicate scopes once, in the order first given', async () => {
      const { key, record } = await service.create({ tenant: freshTenant(), scopes: ['jobs:read', 'admin', 'jobs:read', 'admin'] });

      expect(record.scopes).toEqual(['jobs:read', 'admin']);
      expect((await rowById(record.id))!.scopes).toEqual(['jobs:read', 'admin']);
      await expect(service.authenticate(key)).resolves.toMatchObject({ scopes: ['jobs:read', 'admin'] });
    });

    it('stores a key without a name as null', async () => {
      const { record } = await service.create({ tenant: freshTenant(), scopes: [ApiScope.JobsRead] });

      expect(record.name).toBeNull();
    });

    it('gives every key its own id and hash', async () => {
      const tenant = freshTenant();
      const created = await Promise.all(Array.from({ length: 5 }, () => service.create({ tenant, scopes: [ApiScope.JobsRead] })));

      expect(new Set(created.map(({ record }) => record.id)).size).toBe(5);
      expect(new Set(created.map(({ record }) => record.keyHash)).size).toBe(5);
      expect(await rowsOf(tenant)).toHaveLength(5);
    });
  });

  describe('list', () => {
    it('lists one tenant’s keys, oldest first, revoked ones included; every key without a tenant', async () => {
      const [acme, globex] = [freshTenant(), freshTenant()];
      const first = await service.create({ tenant: acme, scopes: [ApiScope.JobsRead], name: 'first' });
      const other = await service.create({ tenant: globex, scopes: [ApiScope.Admin], name: 'other' });
      const second = await service.create({ tenant: acme, scopes: [ApiScope.JobsWrite], name: 'second' });
      await service.revoke(first.record.id);

      const listed = await service.list(acme);

      expect(listed.map(({ id, name }) => ({ id, name }))).toEqual([
        { id: first.record.id, name: 'first' },
        { id: second.record.id, name: 'second' },
      ]);
      expect(listed[0].revokedAt).toBeInstanceOf(Date);
      expect(listed[1].revokedAt).toBeNull();
      expect((await service.list(globex)).map(({ id }) => id)).toEqual([other.record.id]);

      const everything = (await service.list()).map(({ id }) => id);
      expect(everything).toEqual(expect.arrayContaining([first.record.id, second.record.id, other.record.id]));
      expect(everything).toHaveLength(await totalKeys());
    });

    it('is empty for a tenant without keys', async () => {
      await expect(service.list(freshTenant())).resolves.toEqual([]);
    });

    it('never holds the key itself', async () => {
      const tenant = freshTenant();
      const { key } = await service.create({ tenant, scopes: [ApiScope.JobsRead] });

      expect(JSON.stringify(await service.list(tenant))).not.toContain(key);
    });
  });
});
