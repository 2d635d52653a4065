import { createHash } from 'node:crypto';
import { canonicalJson, requestHash } from './request-hash';

describe(canonicalJson.name, () => {
  it('does not depend on the order of object keys', () => {
    const a = { b: 1, a: 2, c: { z: true, y: [1, 2], x: null } };
    const b = { c: { x: null, y: [1, 2], z: true }, a: 2, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('sorts keys at every depth', () => {
    expect(canonicalJson({ b: { d: 1, c: 2 }, a: [{ f: 1, e: 2 }] })).toBe('{"a":[{"e":2,"f":1}],"b":{"c":2,"d":1}}');
  });

  it('keeps the order of array items', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson([3, 1, 2])).not.toBe(canonicalJson([1, 2, 3]));
    expect(canonicalJson({ sets: [{ reps: 5 }, { reps: 12 }] })).not.toBe(canonicalJson({ sets: [{ reps: 12 }, { reps: 5 }] }));
  });

  it('drops properties whose value is undefined, as JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson({ nested: { x: undefined, y: 2 } })).toBe('{"nested":{"y":2}}');
  });

  it('keeps null, which is a value', () => {
    expect(canonicalJson({ a: null })).toBe('{"a":null}');
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
  });

  it('produces valid JSON that parses back to the same value', () => {
    const value = { text: 'quote " and \\ and \n and é', n: -1.5e-7, list: [true, false, null, 'x'], empty: {}, none: [] };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it('escapes keys', () => {
    expect(canonicalJson({ 'a"b': 1 })).toBe('{"a\\"b":1}');
  });

  it('tells apart values that differ only in type', () => {
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson([])).not.toBe(canonicalJson({}));
  });

  it('writes scalars as JSON', () => {
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(12)).toBe('12');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(null)).toBe('null');
  });
});

describe(requestHash.name, () => {
  const body = { orderId: 'order-1', lines: [{ quantity: 1, unitPriceCents: 100 }] };

  it('is a hex SHA-256', () => {
    expect(requestHash('invoices', body)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the SHA-256 of the type, a newline and the canonical body', () => {
    const expected = createHash('sha256').update(`invoices\n${canonicalJson(body)}`).digest('hex');
    expect(requestHash('invoices', body)).toBe(expected);
  });

  it('is the same for the same body in another key order', () => {
    const reordered = { lines: [{ unitPriceCents: 100, quantity: 1 }], orderId: 'order-1' };
    expect(requestHash('invoices', reordered)).toBe(requestHash('invoices', body));
  });

  it('differs by job type', () => {
    expect(requestHash('workouts', body)).not.toBe(requestHash('invoices', body));
  });

  it('differs by body', () => {
    expect(requestHash('invoices', { ...body, orderId: 'order-2' })).not.toBe(requestHash('invoices', body));
    expect(requestHash('invoices', { ...body, lines: [{ quantity: 2, unitPriceCents: 100 }] })).not.toBe(requestHash('invoices', body));
    expect(requestHash('invoices', { ...body, extra: null })).not.toBe(requestHash('invoices', body));
  });

  it('cannot be confused by moving text between the type and the body', () => {
    expect(requestHash('a', 'b\n"c"')).not.toBe(requestHash('a\n"b', '"c"'));
  });
});
