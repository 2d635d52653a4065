/**
 * fast-check arbitraries of malformed input for Baton, for the fuzz suite
 * (test/e2e/fuzz.e2e-spec.ts): HTTP requests that must be refused with a
 * 4xx, valid requests to interleave with them, and garbage messages for the
 * work queues. Pure data: nothing here sends anything.
 *
 * Imported by its path, not through test/support/index.ts.
 *
 * What is valid is written out here from the README ("Save a workout",
 * "Render an invoice", "Errors") rather than imported from
 * @baton/contracts, so that the fuzz checks Baton against an independent
 * statement of its contract.
 */
import { STATUS_CODES } from 'node:http';
import * as fc from 'fast-check';
import { TEST_API_KEY } from './api-keys';

export type JobKind = 'workouts' | 'invoices';
export const JOB_KINDS: readonly JobKind[] = ['workouts', 'invoices'];

/** Largest body the API reads (README, "Errors": a body over 1 MiB is a 413). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** The deepest nesting a payload may have (libs/contracts: MAX_NESTING_DEPTH). */
export const MAX_NESTING_DEPTH = 32;

// ---------------------------------------------------------------------------
// The contract, written out
// ---------------------------------------------------------------------------

type FieldKind = 'text' | 'enum' | 'datetime' | 'date' | 'email' | 'currency' | 'int' | 'number' | 'array' | 'object';

interface FieldSpec {
  kind: FieldKind;
  required: boolean;
  /** Longest valid string, for strings. */
  maxLength?: number;
  /** Most items, for arrays. */
  maxItems?: number;
  /** The shape of the nested object, or of each array item. */
  of?: Schema;
}

type Schema = Record<string, FieldSpec>;

const SET_SCHEMA: Schema = {
  exercise: { kind: 'text', required: true, maxLength: 100 },
  reps: { kind: 'int', required: true },
  weightKg: { kind: 'number', required: false },
};

const WORKOUT_SCHEMA: Schema = {
  userId: { kind: 'text', required: true, maxLength: 64 },
  activity: { kind: 'enum', required: true, maxLength: 8 },
  startedAt: { kind: 'datetime', required: true, maxLength: 40 },
  durationSec: { kind: 'int', required: true },
  distanceM: { kind: 'number', required: false },
  calories: { kind: 'int', required: false },
  notes: { kind: 'text', required: false, maxLength: 2000 },
  sets: { kind: 'array', required: false, maxItems: 500, of: SET_SCHEMA },
};

const CUSTOMER_SCHEMA: Schema = {
  name: { kind: 'text', required: true, maxLength: 200 },
  email: { kind: 'email', required: true, maxLength: 320 },
  address: { kind: 'text', required: false, maxLength: 500 },
};

const LINE_SCHEMA: Schema = {
  description: { kind: 'text', required: true, maxLength: 500 },
  quantity: { kind: 'int', required: true },
  unitPriceCents: { kind: 'int', required: true },
};

const INVOICE_SCHEMA: Schema = {
  orderId: { kind: 'text', required: true, maxLength: 64 },
  customer: { kind: 'object', required: true, of: CUSTOMER_SCHEMA },
  currency: { kind: 'currency', required: true, maxLength: 3 },
  lines: { kind: 'array', required: true, maxItems: 200, of: LINE_SCHEMA },
  taxRatePercent: { kind: 'number', required: false },
  issuedAt: { kind: 'date', required: false, maxLength: 10 },
};

export const SCHEMAS: Record<JobKind, Schema> = { workouts: WORKOUT_SCHEMA, invoices: INVOICE_SCHEMA };

const ACTIVITIES = ['run', 'ride', 'swim', 'walk', 'strength', 'yoga', 'other'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'CHF', 'SEK'];

type Body = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Valid bodies
// ---------------------------------------------------------------------------

/** Printable ASCII, never blank at the ends: what every bounded text field takes. */
const ascii = (minLength: number, maxLength: number) => fc.string({ minLength, maxLength });
const alphanumeric = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength, maxLength });

const dateTime = fc
  .tuple(
    fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
    fc.constantFrom('Z', '+00:00', '+02:00', '-05:30'),
  )
  .map(([date, zone]) => date.toISOString().replace('Z', zone));

const validSet = fc.record(
  {
    exercise: ascii(1, 100),
    reps: fc.integer({ min: 1, max: 1000 }),
    weightKg: fc.double({ min: 0, max: 1000, noNaN: true }),
  },
  { requiredKeys: ['exercise', 'reps'] },
);

export const validWorkout: fc.Arbitrary<Body> = fc.record(
  {
    userId: ascii(1, 64),
    activity: fc.constantFrom(...ACTIVITIES),
    startedAt: dateTime,
    durationSec: fc.integer({ min: 1, max: 86_400 }),
    distanceM: fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }),
    calories: fc.integer({ min: 0, max: 2_147_483_647 }),
    // Any printable Unicode: stored as text, never counted against a short limit.
    notes: fc.string({ unit: 'grapheme', maxLength: 60 }),
    sets: fc.array(validSet, { maxLength: 4 }),
  },
  { requiredKeys: ['userId', 'activity', 'startedAt', 'durationSec'] },
);

const validLine = fc.record({
  description: ascii(1, 80),
  quantity: fc.integer({ min: 1, max: 100_000 }),
  unitPriceCents: fc.integer({ min: 0, max: 1_000_000_000 }),
});

export const validInvoice: fc.Arbitrary<Body> = fc.record(
  {
    orderId: ascii(1, 64),
    customer: fc.record(
      {
        name: ascii(1, 200),
        email: fc.tuple(alphanumeric(1, 20), alphanumeric(1, 20), fc.constantFrom('com', 'org', 'io', 'de')).map(([user, host, tld]) => `${user}@${host}.${tld}`),
        address: ascii(0, 120),
      },
      { requiredKeys: ['name', 'email'] },
    ),
    currency: fc.constantFrom(...CURRENCIES),
    // At most 4 lines of 10^5 x 10^9 cents: far below 2^53 - 1 even with 100 % tax.
    lines: fc.array(validLine, { minLength: 1, maxLength: 4 }),
    // At most four decimals (README): a whole number of ten-thousandths.
    taxRatePercent: fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 10_000),
    issuedAt: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
  },
  { requiredKeys: ['orderId', 'customer', 'currency', 'lines'] },
);

export const validBody = (type: JobKind): fc.Arbitrary<Body> => (type === 'workouts' ? validWorkout : validInvoice);

// ---------------------------------------------------------------------------
// JSON text with what JSON.stringify cannot write
// ---------------------------------------------------------------------------

const RAW = Symbol('raw JSON text');
/** Keys appended to an object as raw JSON text: `__proto__`, escaped keys (JSON.stringify cannot write an own `__proto__`). */
const EXTRA_KEYS = Symbol('extra keys');

interface RawJson {
  [RAW]: string;
}
const rawJson = (text: string): RawJson => ({ [RAW]: text });
const isRaw = (value: unknown): value is RawJson => typeof value === 'object' && value !== null && RAW in value;

/**
 * Where invalid UTF-8 bytes go in a body's text: private-use characters
 * that no generated string contains (ascii is printable ASCII, and the
 * grapheme unit yields printable characters only).
 */
const BYTES_MARK = '\uE000\uF8FF\uE000';

function toJsonText(value: unknown): string {
  if (isRaw(value)) return value[RAW];
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const parts = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`);
    const extra = (value as { [EXTRA_KEYS]?: Array<[string, unknown, number]> })[EXTRA_KEYS] ?? [];
    for (const [keyText, item, position] of extra) parts.splice(position % (parts.length + 1), 0, `${keyText}:${toJsonText(item)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The body's bytes: its JSON text in UTF-8, with `bytes` in place of the mark (if any). */
function encode(text: string, bytes: Uint8Array = new Uint8Array()): Buffer {
  const pieces = text.split(BYTES_MARK);
  const out: Buffer[] = [];
  pieces.forEach((piece, index) => {
    if (index > 0) out.push(Buffer.from(bytes));
    out.push(Buffer.from(piece, 'utf8'));
  });
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------
// Where a mutation applies
// ---------------------------------------------------------------------------

interface ObjectSite {
  path: string;
  target: Body;
  schema: Schema;
}

interface FieldSite extends ObjectSite {
  key: string;
  spec: FieldSpec;
}

const isPlainObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value) && !isRaw(value);

/** Every object of a body that the contract describes: the body, its customer, each set or line. */
function objectSites(target: Body, schema: Schema, path = ''): ObjectSite[] {
  const sites: ObjectSite[] = [{ path: path || '(body)', target, schema }];
  for (const [key, spec] of Object.entries(schema)) {
    const value = target[key];
    const here = path ? `${path}.${key}` : key;
    if (spec.kind === 'object' && spec.of && isPlainObject(value)) sites.push(...objectSites(value, spec.of, here));
    if (spec.kind === 'array' && spec.of && Array.isArray(value)) {
      value.forEach((item, index) => {
        if (isPlainObject(item)) sites.push(...objectSites(item, spec.of!, `${here}.${index}`));
      });
    }
  }
  return sites;
}

function fieldSites(body: Body, schema: Schema, which: (spec: FieldSpec) => boolean = () => true): FieldSite[] {
  return objectSites(body, schema).flatMap((site) =>
    Object.entries(site.schema)
      .filter(([key, spec]) => key in site.target && which(spec))
      .map(([key, spec]) => ({ ...site, key, spec, path: site.path === '(body)' ? key : `${site.path}.${key}` })),
  );
}

const pick = <T>(items: T[], index: number): T => items[index % items.length];

const clone = (body: Body): Body => structuredClone(body);

// ---------------------------------------------------------------------------
// Malformed bodies
// ---------------------------------------------------------------------------

/** A body that must be refused, and how. */
export interface MalformedBody {
  /** The generator that made it. */
  kind: string;
  /** What was done to a valid body, for the failure message. */
  detail: string;
  bytes: Buffer;
  /** The status it must get with Content-Type application/json (400, or 413 over the size limit). */
  status: number;
}

const withStatus = (kind: string, detail: string, bytes: Buffer): MalformedBody => ({
  kind,
  detail,
  bytes,
  status: bytes.length > BODY_LIMIT_BYTES ? 413 : 400,
});

const fromBody = (kind: string, detail: string, body: unknown): MalformedBody => withStatus(kind, detail, encode(toJsonText(body)));

const STRINGISH: FieldKind[] = ['text', 'enum', 'datetime', 'date', 'email', 'currency'];

/** Values of every JSON type, to pick one of a wrong type from. */
const anyValues = fc.record({
  text: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '1', '1.5', 'true', 'null', '[]', '{}', '2026-11-20T07:30:00Z')),
  number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -1, 1.5, 1e21)),
  boolean: fc.boolean(),
  array: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  object: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
});

type AnyValues = { text: string; number: number; boolean: boolean; array: unknown[]; object: Record<string, unknown> };

/** A value of a type the field does not take; null only where the field is required (null on an optional field means absent). */
function wrongTypeFor(spec: FieldSpec, values: AnyValues, choice: number): unknown {
  const candidates: unknown[] = [];
  if (!STRINGISH.includes(spec.kind)) candidates.push(values.text);
  if (spec.kind !== 'int' && spec.kind !== 'number') candidates.push(values.number);
  if (spec.kind === 'int') candidates.push((values.number as number) + 0.5);
  candidates.push(values.boolean);
  if (spec.kind !== 'array') candidates.push(values.array);
  if (spec.kind !== 'object') candidates.push(values.object);
  if (spec.required) candidates.push(null);
  return pick(candidates, choice);
}

/** (a) A field's value replaced by one of a wrong type, or an item of a list replaced by a non-object. */
const wrongType = (type: JobKind) =>
  fc.tuple(validBody(type), fc.nat(), fc.nat(), anyValues).map(([valid, where, choice, values]): MalformedBody => {
    const body = clone(valid);
    const sites = fieldSites(body, SCHEMAS[type]);
    // Items of sets and lines too: a number, a string, null, or a list where an object belongs.
    const itemSites = sites.filter((site) => site.spec.kind === 'array' && Array.isArray(site.target[site.key]) && (site.target[site.key] as unknown[]).length > 0);
    if (itemSites.length > 0 && where % 5 === 0) {
      const site = pick(itemSites, where);
      const items = site.target[site.key] as unknown[];
      const replacement = pick<unknown>([values.number, values.text, values.boolean, null, values.array, [items[0]], []], choice);
      items[choice % items.length] = replacement;
      return fromBody('wrong type', `${site.path}.${choice % items.length} = ${JSON.stringify(replacement)}`, body);
    }
    const site = pick(sites, where);
    const value = wrongTypeFor(site.spec, values, choice);
    site.target[site.key] = value;
    return fromBody('wrong type', `${site.path} = ${JSON.stringify(value)}`, body);
  });

/** (b) A required field deleted, at any depth. */
const missingField = (type: JobKind) =>
  fc.tuple(validBody(type), fc.nat()).map(([valid, where]): MalformedBody => {
    const body = clone(valid);
    const site = pick(
      fieldSites(body, SCHEMAS[type], (spec) => spec.required),
      where,
    );
    delete site.target[site.key];
    return fromBody('missing field', `without ${site.path}`, body);
  });

/** Names of what every object inherits: an unknown field all the same. */
const INHERITED_NAMES = ['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__'];

const unknownKey = fc.oneof(
  { arbitrary: fc.string({ maxLength: 16 }), weight: 5 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }), weight: 2 },
  { arbitrary: fc.constantFrom(...INHERITED_NAMES, 'id', 'tenant', 'status', 'total', 'isAdmin', 'userid', 'UserId', 'sets ', ''), weight: 2 },
);

/** (c) A field the contract does not know, at any depth, with any JSON value. */
const unknownField = (type: JobKind) =>
  fc.tuple(validBody(type), fc.nat(), unknownKey, fc.jsonValue({ maxDepth: 2 })).map(([valid, where, key, value]): MalformedBody => {
    const body = clone(valid);
    const site = pick(objectSites(body, SCHEMAS[type]), where);
    // Known names are not unknown; __proto__ is the prototype generator's.
    const name = Object.hasOwn(site.schema, key) || key === '__proto__' ? `${key}_extra` : key;
    site.target[name] = value;
    return fromBody('unknown field', `${site.path}[${JSON.stringify(name)}] = ${JSON.stringify(value)?.slice(0, 60)}`, body);
  });

/** `length` characters made of `unit`. */
const repeated = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** (d) Strings far over their limit (up to 100 KB), lists over their limit, and bodies over 1 MiB (413). */
const huge = (type: JobKind) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.tuple(validBody(type), fc.nat(), fc.integer({ min: 1, max: 100_000 }), ascii(1, 3)).map(([valid, where, extra, unit]): MalformedBody => {
        const body = clone(valid);
        const site = pick(
          fieldSites(body, SCHEMAS[type], (spec) => STRINGISH.includes(spec.kind)),
          where,
        );
        const length = Math.min(100_000, site.spec.maxLength! + extra);
        site.target[site.key] = repeated(unit.trim() || 'x', length);
        return fromBody('huge string', `${site.path}: ${length} characters`, body);
      }),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(validBody(type), fc.integer({ min: 1, max: 2_500 })).map(([valid, extra]): MalformedBody => {
        const body = clone(valid);
        const key = type === 'workouts' ? 'sets' : 'lines';
        const item = type === 'workouts' ? { exercise: 'squat', reps: 5 } : { description: 'seat', quantity: 1, unitPriceCents: 1 };
        const count = SCHEMAS[type][key].maxItems! + extra;
        body[key] = Array.from({ length: count }, () => item);
        return fromBody('huge array', `${key}: ${count} items`, body);
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(validBody(type), fc.nat(), fc.integer({ min: 1, max: 200_000 }), fc.boolean()).map(([valid, where, extra, asList]): MalformedBody => {
        const body = clone(valid);
        if (asList) {
          // 13 bytes an item: 1.1 MiB and more.
          const count = 90_000 + extra;
          body.padding = Array.from({ length: count }, () => 'abcdefghij');
          return fromBody('over 1 MiB', `padding: ${count} strings`, body);
        }
        const site = pick(
          fieldSites(body, SCHEMAS[type], (spec) => STRINGISH.includes(spec.kind)),
          where,
        );
        site.target[site.key] = 'x'.repeat(BODY_LIMIT_BYTES + extra);
        return fromBody('over 1 MiB', `${site.path}: ${BODY_LIMIT_BYTES + extra} characters`, body);
      }),
    },
  );

/** JSON text nested `depth` levels deep, of arrays, objects or both. */
function nested(depth: number, style: number): string {
  switch (style % 3) {
    case 0:
      return '['.repeat(depth) + ']'.repeat(depth);
    case 1:
      return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    default: {
      const half = Math.floor(depth / 2);
      return '[{"a":'.repeat(half) + (depth % 2 ? '[]' : 'null') + '}]'.repeat(half);
    }
  }
}

/** (e) A value nested deeper than 32 levels, in a known or an unknown field, at any depth. */
const deepNesting = (type: JobKind) =>
  fc
    .tuple(validBody(type), fc.nat(), fc.integer({ min: MAX_NESTING_DEPTH, max: 5_000 }), fc.nat(), fc.boolean())
    .map(([valid, where, depth, style, known]): MalformedBody => {
      const body = clone(valid);
      const value = rawJson(nested(depth, style));
      if (known) {
        const site = pick(fieldSites(body, SCHEMAS[type]), where);
        site.target[site.key] = value;
        return fromBody('deep nesting', `${site.path}: ${depth} levels`, body);
      }
      const site = pick(objectSites(body, SCHEMAS[type]), where);
      site.target.deep = value;
      return fromBody('deep nesting', `${site.path}.deep: ${depth} levels`, body);
    });

/** `name` as JSON key text, with some of its characters written as \u escapes (which JSON.parse reads as the same name). */
function escapedKey(name: string, mask: number, upper: boolean): string {
  const chars = [...name].map((char, index) => {
    if (((mask >> index) & 1) === 0) return char;
    const hex = char.charCodeAt(0).toString(16).padStart(4, '0');
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  });
  return `"${chars.join('')}"`;
}

/** (f) `__proto__`, `constructor` and `prototype` keys at any depth, plain or \u-escaped, written as raw JSON text. */
const prototypeKeys = (type: JobKind) =>
  fc
    .tuple(
      validBody(type),
      fc.nat(),
      fc.constantFrom('__proto__', 'constructor', 'prototype'),
      fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x7ff })),
      fc.boolean(),
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.record({ prototype: fc.jsonValue({ maxDepth: 1 }) }),
        fc.record({ isAdmin: fc.constant(true), tenant: fc.constant('other') }),
      ),
      fc.nat(),
    )
    .map(([valid, where, name, mask, upper, value, position]): MalformedBody => {
      const body = clone(valid);
      const site = pick(objectSites(body, SCHEMAS[type]), where);
      const keyText = escapedKey(name, mask, upper);
      const extra = ((site.target as { [EXTRA_KEYS]?: Array<[string, unknown, number]> })[EXTRA_KEYS] ??= []);
      extra.push([keyText, value, position]);
      return fromBody('prototype key', `${site.path}[${keyText}] = ${JSON.stringify(value)?.slice(0, 60)}`, body);
    });

/** (g) A valid body's JSON text cut short. */
const truncatedJson = (type: JobKind) =>
  fc.tuple(validBody(type), fc.nat()).map(([valid, cut]): MalformedBody => {
    const text = JSON.stringify(valid);
    const at = cut % text.length;
    return withStatus('truncated JSON', `cut at ${at} of ${text.length}`, Buffer.from(text.slice(0, at), 'utf8'));
  });

/**
 * Byte sequences that are not UTF-8 (RFC 3629): lone continuation bytes,
 * overlong forms, surrogates, beyond U+10FFFF, cut sequences. A four-byte
 * sequence cut after its third byte (f0 9f 98) decodes leniently to one
 * U+FFFD, three bytes too: the body keeps its length.
 */
const INVALID_UTF8: number[][] = [
  [0xf0, 0x9f, 0x98],
  [0xf1, 0x80, 0x80],
  [0xf4, 0x8f, 0xbf],
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xc3],
  [0xe0, 0x80, 0xaf],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x80, 0x80, 0xaf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xff, 0xfe],
];

const invalidBytes = fc.oneof(
  fc.constantFrom(...INVALID_UTF8).map((bytes) => Uint8Array.from(bytes)),
  fc.array(fc.constantFrom(...INVALID_UTF8), { minLength: 2, maxLength: 4 }).map((list) => Uint8Array.from(list.flat())),
  // A Latin-1 text sent as is: é, ü, ß followed by ASCII.
  fc.constantFrom('caf\u00e9 ', '\u00fcber', 'Stra\u00dfe').map((text) => Uint8Array.from(Buffer.from(text, 'latin1'))),
);

/** Strings PostgreSQL cannot store, as JSON string text: NUL and lone surrogates (escaped), raw control characters (not JSON at all). */
const unstorableString = fc.oneof(
  fc.constantFrom('\\u0000', '\\ud800', '\\udbff', '\\udc00', '\\udfff', '\\udc00\\ud800', '\\ud83d', 'a\\u0000b'),
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
);

/** (h) Invalid UTF-8 bytes inside a string or between tokens; NUL and lone surrogates inside a string. */
const badEncoding = (type: JobKind) =>
  fc.oneof(
    fc.tuple(validBody(type), fc.nat(), invalidBytes, ascii(0, 4), ascii(0, 4)).map(([valid, where, bytes, before, after]): MalformedBody => {
      const body = clone(valid);
      const site = pick(
        fieldSites(body, SCHEMAS[type], (spec) => spec.kind === 'text'),
        where,
      );
      site.target[site.key] = rawJson(`${JSON.stringify(before).slice(0, -1)}${BYTES_MARK}${JSON.stringify(after).slice(1)}`);
      return withStatus('invalid UTF-8', `${site.path} holds bytes ${Buffer.from(bytes).toString('hex')}`, encode(toJsonText(body), bytes));
    }),
    fc.tuple(validBody(type), fc.nat(), invalidBytes).map(([valid, where, bytes]): MalformedBody => {
      const text = JSON.stringify(valid);
      // After a comma or a colon: mostly between tokens, sometimes inside a string.
      const gaps = [...text.matchAll(/[,:]/g)].map((match) => match.index! + 1);
      const at = pick(gaps, where);
      return withStatus('invalid UTF-8', `bytes ${Buffer.from(bytes).toString('hex')} after offset ${at - 1}`, encode(`${text.slice(0, at)}${BYTES_MARK}${text.slice(at)}`, bytes));
    }),
    fc.tuple(validBody(type), fc.nat(), unstorableString, ascii(0, 4)).map(([valid, where, inner, around]): MalformedBody => {
      const body = clone(valid);
      const site = pick(
        fieldSites(body, SCHEMAS[type], (spec) => spec.kind === 'text'),
        where,
      );
      const escaped = JSON.stringify(around).slice(1, -1);
      site.target[site.key] = rawJson(`"${escaped}${inner}${escaped}"`);
      return fromBody('unstorable string', `${site.path} = "${escaped}${JSON.stringify(inner).slice(1, -1)}${escaped}"`, body);
    }),
  );

/** (i) JSON that is not an object: arrays (of valid bodies too), numbers, strings, booleans, null. */
const notAnObject = (type: JobKind) =>
  fc
    .oneof(
      fc.jsonValue({ maxDepth: 2 }).filter((value) => !isPlainObject(value)),
      fc.array(validBody(type), { minLength: 1, maxLength: 2 }),
      fc.constantFrom<unknown>([], null, 0, '', true, false, '{}'),
    )
    .map((value) => fromBody('not an object', JSON.stringify(value).slice(0, 80), value));

/** Every generator of a body that must be refused whatever its Content-Type says, by kind. */
export const malformedBodies = (type: JobKind): Record<string, fc.Arbitrary<MalformedBody>> => ({
  wrongType: wrongType(type),
  missingField: missingField(type),
  unknownField: unknownField(type),
  huge: huge(type),
  deepNesting: deepNesting(type),
  prototypeKeys: prototypeKeys(type),
  truncatedJson: truncatedJson(type),
  badEncoding: badEncoding(type),
  notAnObject: notAnObject(type),
});

/** Any malformed body of a job type, every generator weighted alike. */
export const malformedBody = (type: JobKind): fc.Arbitrary<MalformedBody> => fc.oneof(...Object.values(malformedBodies(type)));

// ---------------------------------------------------------------------------
// HTTP requests
// ---------------------------------------------------------------------------

/** How the answer to a generated request must look. */
export interface Expectation {
  /** The statuses it may have. */
  statuses: number[];
  /** A valid request: accepted with 202, and exactly one job made of it. */
  valid?: boolean;
  /**
   * Node's HTTP parser may refuse it before Fastify sees a request (bytes
   * no HTTP/1.1 request may hold): such an answer comes from Fastify's
   * client-error handler, with no request and so no request id.
   */
  protocolError?: boolean;
}

export interface HttpCase {
  /** The generator that made it. */
  kind: string;
  /** What makes it malformed. */
  detail: string;
  method: string;
  path: string;
  /** Headers besides Authorization (see `auth`). */
  headers: Record<string, string>;
  /** The suite's API key (the default), none, or the Authorization header in `headers`. */
  auth: 'key' | 'none' | 'custom';
  body?: Buffer;
  /** Sent as these very bytes over a socket of its own (what fetch refuses or normalises); includes the API key when `auth` is `key`. */
  raw?: Buffer;
  /** The X-Request-Id sent, to check the id the answer carries. */
  requestId?: string;
  expect: Expectation;
}

const ROUTES: Record<JobKind, string> = { workouts: '/v1/workouts', invoices: '/v1/invoices' };

/** A printable preview of bytes for failure messages. */
export function preview(bytes: Buffer | string | undefined, max = 160): string {
  if (bytes === undefined) return '(none)';
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  const shown = JSON.stringify(text.slice(0, max));
  return text.length > max ? `${shown}… (${text.length} bytes)` : shown;
}

/** One line saying what a case sends. */
export function describeCase(request: HttpCase): string {
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${preview(value, 60)}`)
    .join('; ');
  const how = `auth=${request.auth}${headers ? ` {${headers}}` : ''}${request.raw ? ' (raw socket)' : ''}`;
  return `[${request.kind}] ${request.method} ${preview(request.path, 100)} ${how} — ${request.detail}; body ${preview(request.body)}`;
}

const jsonPost = (type: JobKind, body: MalformedBody): HttpCase => ({
  kind: body.kind,
  detail: body.detail,
  method: 'POST',
  path: ROUTES[type],
  headers: { 'content-type': 'application/json' },
  auth: 'key',
  body: body.bytes,
  expect: { statuses: [body.status] },
});

const jobKind = fc.constantFrom<JobKind>(...JOB_KINDS);

/** (a) to (i): a malformed JSON body, posted as application/json with the suite's key. */
export const malformedPost: fc.Arbitrary<HttpCase> = jobKind.chain((type) => malformedBody(type).map((body) => jsonPost(type, body)));

/** A request written out byte for byte with a chunked body (no Content-Length), cut into chunks of the given sizes. */
export function rawChunkedRequest(method: string, path: string, headers: Array<[string, string]>, body: Buffer, chunkSizes: number[]): Buffer {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < body.length; i++) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length]);
    const chunk = body.subarray(at, at + size);
    chunks.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    at += size;
  }
  chunks.push(Buffer.from('0\r\n\r\n'));
  const head = [`${method} ${path} HTTP/1.1`, 'Host: baton.test', ...headers.map(([name, value]) => `${name}: ${value}`), 'Transfer-Encoding: chunked', 'Connection: close', '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), ...chunks]);
}

/**
 * (a) to (i) again, the body sent in chunks (Transfer-Encoding: chunked),
 * so that no Content-Length says how long it should be.
 */
export const malformedChunkedPost: fc.Arbitrary<HttpCase> = jobKind.chain((type) =>
  fc.tuple(malformedBody(type), fc.array(fc.integer({ min: 1, max: 4_096 }), { minLength: 1, maxLength: 4 })).map(([body, sizes]): HttpCase => ({
    ...jsonPost(type, body),
    detail: `${body.detail}; sent in chunks of ${sizes.join(', ')} bytes`,
    headers: {},
    auth: 'custom',
    raw: rawChunkedRequest('POST', ROUTES[type], [['Authorization', `Bearer ${TEST_API_KEY}`], ['Content-Type', 'application/json']], body.bytes, sizes),
  })),
);

/** Media types that are not JSON, and ways of sending none. */
const NOT_JSON = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'text/xml',
  'text/json',
  'application/octet-stream',
  'application/jsonx',
  'application/json-patch+json',
  'application/x-json',
  'json',
  'application',
  '*/*',
  'application/*',
  ';;;',
  'application/json garbage',
  'application/json, text/plain',
];

/** (j) A valid body under a Content-Type that is not JSON, or none at all: 415. */
export const wrongContentType: fc.Arbitrary<HttpCase> = fc
  .tuple(jobKind, fc.oneof(fc.constantFrom<string | null>(...NOT_JSON, null), fc.string({ minLength: 1, maxLength: 20 }).filter((text) => !/json/i.test(text) && text.trim() === text)), fc.nat())
  .chain(([type, contentType, shape]) =>
    validBody(type).map((body): HttpCase => {
      const json = JSON.stringify(body);
      // The JSON itself, or the same data as a form or a multipart part.
      const text = [json, `payload=${encodeURIComponent(json)}`, `--fuzz\r\nContent-Disposition: form-data; name="payload"\r\n\r\n${json}\r\n--fuzz--\r\n`][shape % 3];
      return {
        kind: 'wrong content type',
        detail: contentType === null ? 'no Content-Type' : `Content-Type ${JSON.stringify(contentType)}`,
        method: 'POST',
        path: ROUTES[type],
        headers: contentType === null ? {} : { 'content-type': contentType },
        auth: 'key',
        body: Buffer.from(text, 'utf8'),
        expect: { statuses: [415] },
      };
    }),
  );

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path segments that are not a job's, workout's or invoice's id. */
const badSegment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).filter((text) => !UUID.test(text)).map((text) => ({ segment: encodeURIComponent(text), detail: `not a UUID: ${JSON.stringify(text)}` })) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((text) => ({ segment: encodeURIComponent(text), detail: `Unicode: ${JSON.stringify(text)}` })) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 37, max: 8_000 }).map((length) => ({ segment: repeated('0123456789abcdef-', length), detail: `${length} characters` })),
  },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.constantFrom('%', '%Z', '%ZZ', '%0', '%00', '%2F', '%2f..', '%C0%AF', '%E2%82', '%ED%A0%80', '%FF', '%u0041', '%%', '%25', '%0A', '%20', 'a'), { minLength: 1, maxLength: 5 })
      .map((parts) => ({ segment: parts.join(''), detail: 'percent-encoded junk' })),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.uuid(), fc.nat(), fc.constantFrom('g', 'x', '-', ' ', '{', '0')).map(([uuid, at, char]) => {
      const forms = [
        uuid.slice(0, -1),
        `${uuid}0`,
        uuid.replace(/-/g, ''),
        `{${uuid}}`,
        `${uuid.slice(0, at % 36)}${char}${uuid.slice((at % 36) + 1)}`,
        `${uuid} `,
        `${uuid}.json`,
      ];
      const segment = pick(forms, at);
      return { segment: encodeURIComponent(segment), detail: `almost a UUID: ${JSON.stringify(segment)}` };
    }),
  },
);

/** The id routes (README, "The HTTP API"). */
const ID_ROUTES = [(id: string) => `/v1/jobs/${id}`, (id: string) => `/v1/workouts/${id}`, (id: string) => `/v1/invoices/${id}`, (id: string) => `/v1/invoices/${id}/pdf`];

/** GET on an id route with a segment that is no id (400; 404 where the URL parser folds it into another path; 414 when very long), or an unknown UUID (404). */
export const badIdPath: fc.Arbitrary<HttpCase> = fc
  .tuple(
    fc.nat(),
    fc.oneof(
      { weight: 6, arbitrary: badSegment.map((bad) => ({ ...bad, statuses: [400, 404, 414] })) },
      { weight: 1, arbitrary: fc.uuid().map((uuid) => ({ segment: uuid, detail: 'an unknown UUID', statuses: [404] })) },
      { weight: 1, arbitrary: fc.uuid().map((uuid) => ({ segment: uuid.toUpperCase(), detail: 'an unknown UUID in capitals', statuses: [404] })) },
    ),
    fc.constantFrom('GET', 'GET', 'GET', 'GET', 'PUT', 'PATCH', 'DELETE'),
  )
  .map(([route, { segment, detail, statuses }, method]): HttpCase => ({
    kind: 'bad id',
    detail: method === 'GET' ? detail : `${detail}, method ${method}`,
    method,
    path: pick(ID_ROUTES, route)(segment),
    headers: {},
    auth: 'key',
    expect: { statuses: method === 'GET' ? statuses : [404, ...statuses] },
  }));

/** A plain token X-Request-Id, which the answer must echo (README: letters, digits, `._:-`, up to 128). */
export const plainRequestId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);

/** Header values that fetch sends as they are: printable Latin-1, tabs inside, no blank at the ends. */
const sendableChar = fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.constant(0x20), fc.constant(0x09), fc.integer({ min: 0xa1, max: 0xff })).map((code) => String.fromCharCode(code));
const sendable = (minLength: number, maxLength: number) => fc.string({ unit: sendableChar, minLength, maxLength }).map((text) => text.trim());

/** X-Request-Id values that are not plain tokens: the answer must carry a fresh UUID instead. */
const junkRequestId = fc.oneof(
  fc.integer({ min: 129, max: 2_000 }).map((length) => repeated('abc', length)),
  sendable(1, 60).filter((text) => text.length > 0 && !/^[A-Za-z0-9._:-]{1,128}$/.test(text)),
  fc.constantFrom('a b', 'id/1', '../../etc/passwd', '<script>', 'id;drop table jobs', '${jndi:ldap://x}', 'é'),
);

/** GET an unknown job with a junk or a plain X-Request-Id: 404, carrying the right id. */
export const requestIdHeader: fc.Arbitrary<HttpCase> = fc.tuple(fc.uuid(), fc.oneof(junkRequestId, plainRequestId)).map(([jobId, requestId]) => ({
  kind: 'X-Request-Id',
  detail: `X-Request-Id ${preview(requestId, 60)}`,
  method: 'GET',
  path: `/v1/jobs/${jobId}`,
  headers: { 'x-request-id': requestId },
  auth: 'key',
  requestId,
  expect: { statuses: [404] },
}));

/** Idempotency-Key values that are not 1–255 printable ASCII characters, whatever trimming the HTTP parser does. */
const junkIdempotencyKey = fc.oneof(
  fc.tuple(ascii(1, 8), fc.integer({ min: 256, max: 4_000 })).map(([unit, length]) => repeated(unit.trim() || 'k', length)),
  fc.tuple(ascii(1, 10), fc.constantFrom('\t', '\u00e9', '\u00ff', '\u00a0', '\t\t', '\u00c3\u00a9'), ascii(1, 10)).map(([before, bad, after]) => `${before.trim() || 'a'}${bad}${after.trim() || 'b'}`),
  fc.constantFrom('', ' ', '\t'),
);

const validPost = (type: JobKind, body: Body, headers: Record<string, string>) => ({
  method: 'POST',
  path: ROUTES[type],
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(body), 'utf8'),
});

/** A valid body with an Idempotency-Key Baton must refuse: 400, and no job. */
export const badIdempotencyKey: fc.Arbitrary<HttpCase> = fc
  .tuple(jobKind, junkIdempotencyKey)
  .chain(([type, key]) =>
    validBody(type).map((body): HttpCase => ({
      kind: 'Idempotency-Key',
      detail: `Idempotency-Key ${preview(key, 60)} (${key.length} characters)`,
      ...validPost(type, body, { 'idempotency-key': key }),
      auth: 'key',
      expect: { statuses: [400] },
    })),
  );

/** The suite's key changed so that it is no key at all. */
const wrongKey = fc.tuple(fc.nat(), fc.constantFrom('A', 'z', '0', '-', '_', '.')).map(([at, char]) => {
  const key = TEST_API_KEY;
  const i = at % key.length;
  const forms = [
    key.slice(0, -1),
    `${key}${char}`,
    `${key.slice(0, i)}${key[i] === char ? 'Q' : char}${key.slice(i + 1)}`,
    key.toUpperCase() === key ? key.toLowerCase() : key.toUpperCase(),
    key.slice(6),
    `baton_${'A'.repeat(43)}`,
  ];
  return pick(forms, at);
});

/** Authorization values that carry no valid key: each must get 401 (never a 5xx, never a job). */
const junkAuthorization = fc.oneof(
  fc.constantFrom('Bearer', 'Bearer ', 'bearer', 'Basic', 'Token', 'Bearer null', 'Bearer undefined', 'Bearer baton_', `Basic ${Buffer.from('admin:admin').toString('base64')}`),
  wrongKey.map((key) => `Bearer ${key}`),
  fc.constantFrom('Basic ', 'Token ', 'Bearer', 'Bearerx ', 'Bearer: ', 'ApiKey ', 'Bearer \t').map((scheme) => `${scheme}${TEST_API_KEY}`),
  fc.constant(`Bearer ${TEST_API_KEY} ${TEST_API_KEY}`),
  fc.constant(`Bearer ${TEST_API_KEY},${TEST_API_KEY}`),
  sendable(1, 80).map((text) => `Bearer ${text}`),
  sendable(1, 80),
  fc.integer({ min: 257, max: 8_000 }).map((length) => `Bearer ${repeated('baton_', length)}`),
);

/** A request with no key or a junk one, on any route: 401 before anything else, and no job. */
export const badAuthorization: fc.Arbitrary<HttpCase> = fc
  .tuple(jobKind, fc.option(junkAuthorization, { nil: null, freq: 4 }), fc.nat(), fc.uuid())
  .chain(([type, authorization, route, id]) =>
    validBody(type).map((body): HttpCase => {
      const headers: Record<string, string> = authorization === null ? {} : { authorization };
      const detail = authorization === null ? 'no Authorization' : `Authorization ${preview(authorization, 70)}`;
      if (route % 3 === 0) return { kind: 'Authorization', detail, method: 'GET', path: pick(ID_ROUTES, route)(id), headers, auth: authorization === null ? 'none' : 'custom', expect: { statuses: [401] } };
      return { kind: 'Authorization', detail, ...validPost(type, body, headers), auth: authorization === null ? 'none' : 'custom', expect: { statuses: [401] } };
    }),
  );

// ---------------------------------------------------------------------------
// Raw requests: bytes fetch would refuse to send
// ---------------------------------------------------------------------------

/** A request written out byte for byte, with Host, Connection: close and (unless given) Content-Length. */
export function rawRequest(method: string, path: string | Buffer, headers: Array<[string, string | Buffer]>, body?: Buffer, contentLength?: number | string): Buffer {
  const lines: Buffer[] = [Buffer.concat([Buffer.from(`${method} `), Buffer.isBuffer(path) ? path : Buffer.from(path, 'latin1'), Buffer.from(' HTTP/1.1\r\n')])];
  const all: Array<[string, string | Buffer]> = [['Host', 'baton.test'], ...headers, ['Connection', 'close']];
  const length = contentLength ?? body?.length;
  if (length !== undefined) all.push(['Content-Length', String(length)]);
  for (const [name, value] of all) lines.push(Buffer.concat([Buffer.from(`${name}: `), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n')]));
  lines.push(Buffer.from('\r\n'));
  if (body) lines.push(body);
  return Buffer.concat(lines);
}

const KEY_HEADER: [string, string] = ['Authorization', `Bearer ${TEST_API_KEY}`];

/** Control characters no header value may hold (RFC 9110: only HTAB, SP, visible characters and obs-text). */
const controlChar = fc.oneof(fc.integer({ min: 0x00, max: 0x08 }), fc.integer({ min: 0x0b, max: 0x0c }), fc.integer({ min: 0x0e, max: 0x1f }), fc.constant(0x7f));

const rawCase = (kind: string, detail: string, method: string, path: string, raw: Buffer, expect: Expectation, extra: Partial<HttpCase> = {}): HttpCase => ({
  kind,
  detail,
  method,
  path,
  headers: {},
  auth: 'custom',
  raw,
  expect,
  ...extra,
});

/**
 * Headers fetch cannot send: control characters in Idempotency-Key,
 * X-Request-Id or Authorization (Node's parser refuses the request: 400),
 * UTF-8 bytes in an Idempotency-Key (400 naming the header), and an
 * Idempotency-Key sent twice (400: it must be sent once).
 */
export const rawBadHeader: fc.Arbitrary<HttpCase> = fc
  .tuple(jobKind, fc.nat(), controlChar, ascii(1, 10), ascii(1, 10), fc.uuid(), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }))
  .chain(([type, which, control, before, after, id, unicode]) =>
    validBody(type).map((valid): HttpCase => {
      const body = Buffer.from(JSON.stringify(valid), 'utf8');
      const [first, last] = [before.trim() || 'a', after.trim() || 'b'];
      const junk = Buffer.concat([Buffer.from(first), Buffer.from([control]), Buffer.from(last)]);
      const hex = `0x${control.toString(16).padStart(2, '0')}`;
      /** A valid body posted with these headers (the key's, unless Authorization is among them). */
      const posted = (detail: string, headers: Array<[string, string | Buffer]>, expect: Expectation): HttpCase => {
        const auth = headers.some(([name]) => name === 'Authorization') ? [] : [KEY_HEADER];
        const raw = rawRequest('POST', ROUTES[type], [...auth, ['Content-Type', 'application/json'], ...headers], body);
        return rawCase('raw header', detail, 'POST', ROUTES[type], raw, expect, { body });
      };
      switch (which % 5) {
        case 0:
          return posted(`Idempotency-Key with ${hex}`, [['Idempotency-Key', junk]], { statuses: [400], protocolError: true });
        case 1: {
          // On a GET of an unknown job: were the header taken, the answer would be a 404 with a fresh request id.
          const raw = rawRequest('GET', `/v1/jobs/${id}`, [KEY_HEADER, ['X-Request-Id', junk]]);
          return rawCase('raw header', `X-Request-Id with ${hex}`, 'GET', `/v1/jobs/${id}`, raw, { statuses: [400, 404], protocolError: true });
        }
        case 2:
          return posted(`Authorization with ${hex}`, [['Authorization', Buffer.concat([Buffer.from('Bearer '), junk])]], { statuses: [400, 401], protocolError: true });
        case 3:
          return posted(`Idempotency-Key with UTF-8 ${preview(unicode, 20)}`, [['Idempotency-Key', Buffer.from(`${first}${unicode}${last}`, 'utf8')]], { statuses: [400] });
        default:
          return posted(
            `Idempotency-Key sent twice: ${JSON.stringify(first)} and ${JSON.stringify(last)}`,
            [
              ['Idempotency-Key', first],
              ['Idempotency-Key', last],
            ],
            { statuses: [400] },
          );
      }
    }),
  );

/** Requests no HTTP/1.1 parser may take (framing, request line, header syntax, size): refused by Node's parser. */
export const rawBadFraming: fc.Arbitrary<HttpCase> = fc
  .tuple(jobKind, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 }), ascii(1, 12))
  .chain(([type, which, junk, word]) =>
    validBody(type).map((valid): HttpCase => {
      const json = JSON.stringify(valid);
      const body = Buffer.from(json, 'utf8');
      const path = ROUTES[type];
      const head = [KEY_HEADER, ['Content-Type', 'application/json']] as Array<[string, string]>;
      const noColonHead = `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nno colon here\r\nContent-Length: ${body.length}\r\n\r\n`;
      const forms: Array<[string, Buffer, number[]]> = [
        ['a chunk size that is not hex', rawRequest('POST', path, [...head, ['Transfer-Encoding', 'chunked']], Buffer.from(`zz\r\n${json}\r\n0\r\n\r\n`)), [400]],
        ['both Content-Length and Transfer-Encoding', rawRequest('POST', path, [...head, ['Transfer-Encoding', 'chunked']], Buffer.from(`${body.length.toString(16)}\r\n${json}\r\n0\r\n\r\n`), body.length), [400]],
        ['a negative Content-Length', rawRequest('POST', path, head, body, -1), [400]],
        ['a Content-Length that is not a number', rawRequest('POST', path, head, body, `${word.trim() || 'x'}z`), [400]],
        ['a Content-Length shorter than the body (the rest is not a request)', rawRequest('POST', path, head, body, Math.max(1, body.length >> 1)), [400]],
        ['two different Content-Lengths', rawRequest('POST', path, [...head, ['Content-Length', String(body.length + 1)]], body), [400]],
        // Refused at once, or (bytes that look like the start of a request) cut off after HTTP_HEADERS_TIMEOUT_MS.
        ['junk bytes instead of a request', Buffer.concat([Buffer.from(junk), Buffer.from('\r\n\r\n')]), [400, 408]],
        ['a control character in the path', rawRequest('GET', Buffer.concat([Buffer.from('/v1/jobs/'), Buffer.from([junk[0] % 0x20 === 0x0d ? 0x01 : junk[0] % 0x20 || 0x7f])]), [KEY_HEADER]), [400, 404]],
        ['a space in the path', rawRequest('GET', `/v1/jobs/${word.trim() || 'a'} x`, [KEY_HEADER]), [400]],
        ['a header name with a space', rawRequest('POST', path, [...head, [`X Fuzz ${word.trim() || 'a'}`, 'x']], body), [400]],
        ['a header line without a colon', Buffer.concat([Buffer.from(noColonHead), body]), [400]],
        ['an unknown method', rawRequest(`FUZZ${(word.match(/[A-Z]/g) ?? []).join('')}`, path, head, body), [400]],
        ['headers over 16 KiB', rawRequest('GET', path, [KEY_HEADER, ['X-Fuzz', repeated(word.trim() || 'x', 20_000)]]), [431]],
      ];
      const [detail, raw, statuses] = pick(forms, which);
      return rawCase('bad framing', detail, raw.toString('latin1').split(' ', 1)[0].slice(0, 12), path, raw, { statuses, protocolError: true }, { body });
    }),
  );

// ---------------------------------------------------------------------------
// Valid requests, to interleave with the malformed ones
// ---------------------------------------------------------------------------

/**
 * Content types that say application/json: the media type is
 * case-insensitive, and RFC 8259 defines no charset parameter for JSON
 * ("adding one really has no effect on compliant recipients"), so a body
 * of valid UTF-8 is taken whatever charset the header names.
 */
const JSON_CONTENT_TYPES = ['application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON', 'application/json; charset=latin1'];

/** A valid request: a valid body, sometimes with a (unique) Idempotency-Key and a plain X-Request-Id. */
export interface ValidRequest {
  type: JobKind;
  body: Body;
  contentType: string;
  requestId?: string;
  /** Made unique by the sender: an Idempotency-Key reused with the same body answers 200, not 202. */
  idempotencyKeyPrefix?: string;
}

export const validRequest: fc.Arbitrary<ValidRequest> = jobKind.chain((type) =>
  fc.record(
    {
      type: fc.constant(type),
      body: validBody(type),
      contentType: fc.constantFrom(...JSON_CONTENT_TYPES),
      requestId: plainRequestId,
      idempotencyKeyPrefix: fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
    },
    { requiredKeys: ['type', 'body', 'contentType'] },
  ),
);

export const validCase = (request: ValidRequest, idempotencyKey?: string): HttpCase => ({
  kind: 'valid',
  detail: `valid ${request.type}`,
  ...validPost(request.type, request.body, {
    'content-type': request.contentType,
    ...(request.requestId ? { 'x-request-id': request.requestId } : {}),
    ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
  }),
  auth: 'key',
  requestId: request.requestId,
  expect: { statuses: [202], valid: true },
});

// ---------------------------------------------------------------------------
// Everything malformed
// ---------------------------------------------------------------------------

/** Any malformed request; the weights keep the slow kinds (bodies over 1 MiB) rare. */
export const malformedRequest: fc.Arbitrary<HttpCase> = fc.oneof(
  { weight: 12, arbitrary: malformedPost },
  { weight: 2, arbitrary: malformedChunkedPost },
  { weight: 2, arbitrary: wrongContentType },
  { weight: 3, arbitrary: badIdPath },
  { weight: 1, arbitrary: requestIdHeader },
  { weight: 1, arbitrary: badIdempotencyKey },
  { weight: 2, arbitrary: badAuthorization },
  { weight: 1, arbitrary: rawBadHeader },
  { weight: 1, arbitrary: rawBadFraming },
);

/** A request whose body never arrives whole (a Content-Length longer than what is sent): 408 once HTTP_REQUEST_TIMEOUT_MS is over. */
export const truncatedUpload: fc.Arbitrary<HttpCase> = fc.tuple(jobKind, fc.integer({ min: 1, max: 100_000 }), fc.nat()).chain(([type, missing, cut]) =>
  validBody(type).map((valid): HttpCase => {
    const body = Buffer.from(JSON.stringify(valid), 'utf8');
    const sent = body.subarray(0, cut % (body.length + 1));
    const raw = rawRequest('POST', ROUTES[type], [KEY_HEADER, ['Content-Type', 'application/json']], sent, body.length + missing);
    return rawCase('body never complete', `Content-Length ${body.length + missing}, ${sent.length} bytes sent`, 'POST', ROUTES[type], raw, { statuses: [408], protocolError: true }, { body: sent });
  }),
);

// ---------------------------------------------------------------------------
// Garbage messages
// ---------------------------------------------------------------------------

/** Who a garbage message says it is for. */
export type GarbageId =
  | { kind: 'none' }
  | { kind: 'value'; value: string }
  /** A job row the test inserts first (queued, never published), so that Baton reads the body. */
  | { kind: 'existing job' };

export interface GarbageMessage {
  /** What kind of garbage, for the failure message. */
  kind: string;
  routingKey: JobKind;
  body: Buffer;
  messageId: GarbageId;
  /** Message properties: the type (a job type or junk), content type and encoding, correlation id. */
  type?: string;
  contentType?: string;
  contentEncoding?: string;
  correlationId?: string;
  headers: Record<string, unknown>;
}

const notJson = (text: string) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
};

/** Bodies no job can be read from, whatever job they name. */
const garbageBody = (type: JobKind): fc.Arbitrary<{ kind: string; body: Buffer }> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 2_048 }).map((bytes) => ({ kind: 'random bytes', body: Buffer.from(bytes) })) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }).filter(notJson).map((text) => ({ kind: 'not JSON', body: Buffer.from(text, 'utf8') })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'JSON of another shape', body: Buffer.from(JSON.stringify(value), 'utf8') })) },
    // Every malformed HTTP body is a malformed payload too (bodies over 1 MiB included).
    { weight: 4, arbitrary: malformedBody(type).map((malformed) => ({ kind: `payload: ${malformed.kind} (${malformed.detail.slice(0, 100)})`, body: malformed.bytes })) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 900_000, max: 1_100_000 }), fc.boolean(), fc.nat(255)).map(([length, asJson, byte]) => ({
        kind: 'huge body',
        body: asJson ? Buffer.from(JSON.stringify({ notes: 'x'.repeat(length) }), 'utf8') : Buffer.alloc(length, byte),
      })),
    },
  );

/** Ids that name no job: none, empty, not a UUID, or a UUID no job has. */
const strangeId: fc.Arbitrary<GarbageId> = fc.oneof(
  fc.constant<GarbageId>({ kind: 'none' }),
  fc.constant<GarbageId>({ kind: 'value', value: '' }),
  fc.string({ minLength: 1, maxLength: 60 }).filter((text) => !UUID.test(text)).map((value): GarbageId => ({ kind: 'value', value })),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map((value): GarbageId => ({ kind: 'value', value })),
  fc.uuid().map((uuid): GarbageId => ({ kind: 'value', value: pick([`${uuid}x`, `{${uuid}}`, uuid.replace(/-/g, ''), ` ${uuid}`], uuid.charCodeAt(0)) })),
  fc.uuid().map((uuid): GarbageId => ({ kind: 'value', value: uuid })),
);

const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer({ min: -1000, max: 1000 })), { maxLength: 3 }),
);

/** Junk headers; never `x-` ones (the broker's own, such as x-death), but for a junk attempt number. */
const junkHeaders = fc.record(
  {
    extra: fc.dictionary(fc.stringMatching(/^[a-w][a-z0-9-]{0,20}$/), headerValue, { maxKeys: 4 }),
    attempt: fc.oneof(fc.constantFrom<unknown>('abc', '', -1, 0, 1.5, 2 ** 31, 1e9, true, [1], { n: 1 }), fc.integer()),
  },
  { requiredKeys: ['extra'] },
).map(({ extra, attempt }) => (attempt === undefined ? extra : { ...extra, 'x-baton-attempt': attempt }));

const junkProperty = fc.option(
  fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('text/plain', 'application/octet-stream', 'application/xml', 'application/json; charset=latin1', 'gzip', 'base64', 'deflate', 'br', 'identity')),
  { nil: undefined },
);

/** The message's type property: none, its own type, the other job type (dead-lettered to that type), or junk. */
const typeProperty = (routingKey: JobKind) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<string | undefined>(undefined) },
    { weight: 3, arbitrary: fc.constant<string | undefined>(routingKey) },
    { weight: 1, arbitrary: fc.constant<string | undefined>(routingKey === 'workouts' ? 'invoices' : 'workouts') },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('Workouts', 'INVOICES', 'workout', 'invoices ', 'jobs')).filter((text) => !JOB_KINDS.includes(text as JobKind)) },
  );

/**
 * A garbage message for one work queue: a body no job can be read from for
 * a job the test inserted (so Baton reads it), or any body, valid payloads
 * included, under an id that names no job; with junk properties and headers.
 */
export const garbageMessage: fc.Arbitrary<GarbageMessage> = jobKind.chain((routingKey) =>
  fc
    .tuple(
      fc.boolean(),
      garbageBody(routingKey),
      strangeId,
      fc.oneof({ weight: 3, arbitrary: garbageBody(routingKey) }, { weight: 1, arbitrary: validBody(routingKey).map((body) => ({ kind: 'a valid payload', body: Buffer.from(JSON.stringify(body), 'utf8') })) }),
      typeProperty(routingKey),
      junkProperty,
      junkProperty,
      fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
      junkHeaders,
    )
    .map(([forExistingJob, garbage, id, anyBody, type, contentType, contentEncoding, correlationId, headers]): GarbageMessage => {
      if (forExistingJob) {
        // For a job that exists: its own type or none, so that Baton takes the job and reads the body.
        const ownType = type === routingKey ? type : undefined;
        return { kind: `${garbage.kind}, for an existing job`, routingKey, body: garbage.body, messageId: { kind: 'existing job' }, type: ownType, contentType, contentEncoding, correlationId, headers };
      }
      const idText = id.kind === 'none' ? 'no id' : id.kind === 'value' ? (UUID.test(id.value) ? 'an unknown job id' : 'a malformed id') : '';
      return { kind: `${anyBody.kind}, ${idText}`, routingKey, body: anyBody.body, messageId: id, type, contentType, contentEncoding, correlationId, headers };
    }),
);

/** The dead-letter queue a garbage message must end in: its type's, when its type property names a job type, else its queue's. */
export function deadLetterQueueOf(message: GarbageMessage): string {
  const type = JOB_KINDS.includes(message.type as JobKind) ? (message.type as JobKind) : message.routingKey;
  return `${type}.dead`;
}

export function describeMessage(message: GarbageMessage, messageId: string | undefined): string {
  const properties = [
    `messageId ${messageId === undefined ? '(none)' : JSON.stringify(messageId)}`,
    `type ${JSON.stringify(message.type)}`,
    `contentType ${JSON.stringify(message.contentType)}`,
    `contentEncoding ${JSON.stringify(message.contentEncoding)}`,
    `headers ${JSON.stringify(message.headers).slice(0, 120)}`,
  ];
  return `[${message.kind}] on ${message.routingKey}, ${properties.join(', ')}; body ${preview(message.body, 100)}`;
}

/** What an error answer's `error` must be for its status. */
export const statusText = (status: number): string | undefined => STATUS_CODES[status];
