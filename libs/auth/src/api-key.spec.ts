import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { API_KEY_PREFIX, bearerToken, generateApiKey, hashApiKey, isWellFormedApiKey, shownPrefix } from './api-key';

describe(generateApiKey.name, () => {
  it('is baton_ followed by 43 base64url characters (32 random bytes)', () => {
    const key = generateApiKey();

    expect(API_KEY_PREFIX).toBe('baton_');
    expect(key).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(API_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
  });

  it('makes keys that Baton itself accepts', () => {
    for (let i = 0; i < 20; i += 1) expect(isWellFormedApiKey(generateApiKey())).toBe(true);
  });

  it('never makes the same key twice', () => {
    const keys = Array.from({ length: 1000 }, () => generateApiKey());

    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe(hashApiKey.name, () => {
  it('is the hex SHA-256 of the key (known vector)', () => {
    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches node:crypto for a generated key, as 64 lowercase hex characters', () => {
    const key = generateApiKey();

    expect(hashApiKey(key)).toBe(createHash('sha256').update(key, 'utf8').digest('hex'));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for keys that differ in one character', () => {
    expect(hashApiKey('baton_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).not.toBe(hashApiKey('baton_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab'));
  });
});

describe(isWellFormedApiKey.name, () => {
  it.each([
    ['31 characters', 'a'.repeat(31), false],
    ['32 characters', 'a'.repeat(32), true],
    ['256 characters', 'a'.repeat(256), true],
    ['257 characters', 'a'.repeat(257), false],
    ['the empty string', '', false],
  ])('bounds the length: %s is %s', (_, candidate, expected) => {
    expect(isWellFormedApiKey(candidate)).toBe(expected);
  });

  it('accepts every allowed character: A-Z a-z 0-9 . _ ~ + / = -', () => {
    expect(isWellFormedApiKey('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-')).toBe(true);
  });

  it.each([
    ['a colon', ':'],
    ['a quote', '"'],
    ['a semicolon', ';'],
    ['a percent sign', '%'],
    ['a non-ASCII letter', 'é'],
    ['a NUL', '\u0000'],
  ])('refuses %s', (_, character) => {
    expect(isWellFormedApiKey(`${'a'.repeat(20)}${character}${'a'.repeat(20)}`)).toBe(false);
  });

  it.each([
    ['a space inside', `${'a'.repeat(20)} ${'a'.repeat(20)}`],
    ['a leading space', ` ${'a'.repeat(40)}`],
    ['a trailing newline', `${'a'.repeat(40)}\n`],
    ['a tab', `${'a'.repeat(20)}\t${'a'.repeat(20)}`],
  ])('refuses whitespace: %s', (_, candidate) => {
    expect(isWellFormedApiKey(candidate)).toBe(false);
  });
});

describe(shownPrefix.name, () => {
  it('keeps the first 12 characters of a key', () => {
    const key = generateApiKey();

    expect(shownPrefix(key)).toBe(key.slice(0, 12));
    expect(shownPrefix(key)).toHaveLength(12);
    expect(shownPrefix(key).startsWith(API_KEY_PREFIX)).toBe(true);
  });
});

describe(bearerToken.name, () => {
  const token = generateApiKey();

  it('is the token of a Bearer header', () => {
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
  });

  it('is undefined without a header', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
  });

  it.each([
    ['Basic', `Basic ${Buffer.from('user:password').toString('base64')}`],
    ['Token', `Token ${token}`],
    ['Bearer without a space', `Bearer${token}`],
    ['Bearerx', `Bearerx ${token}`],
  ])('is undefined for another scheme: %s', (_, header) => {
    expect(bearerToken(header)).toBeUndefined();
  });

  it.each(['bearer', 'BEARER', 'bEaReR'])('reads the scheme case-insensitively: %s', (scheme) => {
    expect(bearerToken(`${scheme} ${token}`)).toBe(token);
  });

  it('allows several spaces after the scheme and trailing spaces', () => {
    expect(bearerToken(`Bearer   ${token}`)).toBe(token);
    expect(bearerToken(`Bearer ${token}   `)).toBe(token);
  });

  it('is undefined for a header that does not start with the scheme', () => {
    expect(bearerToken(` Bearer ${token}`)).toBeUndefined();
  });

  it.each([
    ['no token', 'Bearer'],
    ['a space and no token', 'Bearer '],
    ['only spaces', 'Bearer    '],
  ])('is undefined for an empty token: %s', (_, header) => {
    expect(bearerToken(header)).toBeUndefined();
  });

  it('is undefined for two tokens', () => {
    expect(bearerToken(`Bearer ${token} ${token}`)).toBeUndefined();
    expect(bearerToken(`Bearer ${token}, Bearer ${token}`)).toBeUndefined();
  });

  it('returns the token as it is, without checking its form (that is for isWellFormedApiKey)', () => {
    expect(bearerToken('Bearer short')).toBe('short');
  });
});
