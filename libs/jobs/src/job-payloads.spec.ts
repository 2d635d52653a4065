import 'reflect-metadata';
import { invoiceBody, workoutBody } from '../../../test/support/fixtures';
import { FieldError, JobType } from '@baton/contracts';
import { validatePayload } from './job-catalogue';
import { CreateInvoiceDto } from './invoices/create-invoice.dto';
import { CreateWorkoutDto } from './workouts/create-workout.dto';

const text = (length: number, char = 'x'): string => char.repeat(length);
const sets = (count: number) => Array.from({ length: count }, (_, index) => ({ exercise: `exercise ${index}`, reps: 1 + (index % 10) }));
const lines = (count: number) => Array.from({ length: count }, (_, index) => ({ description: `line ${index}`, quantity: 1, unitPriceCents: 100 }));

async function errorsOf(type: JobType, body: unknown): Promise<FieldError[]> {
  const check = await validatePayload(type, body);
  if (check.valid) throw new Error(`expected ${JSON.stringify(body)?.slice(0, 200)} to be invalid`);
  return check.errors;
}

async function fieldsOf(type: JobType, body: unknown): Promise<string[]> {
  return (await errorsOf(type, body)).map((error) => error.field);
}

async function expectValid(type: JobType, body: unknown): Promise<void> {
  const check = await validatePayload(type, body);
  expect(check.valid ? [] : check.errors).toEqual([]);
}

/** Sets `value` at a dotted path of a copy of `body` (undefined deletes). */
function withField(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.split('.');
  let target: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

describe(validatePayload.name, () => {
  describe('any body', () => {
    it.each([
      ['an array', []],
      ['an array of bodies', [workoutBody()]],
      ['a string', 'workout'],
      ['null', null],
      ['a number', 42],
      ['undefined', undefined],
    ])('rejects %s', async (_, body) => {
      for (const type of [JobType.Workout, JobType.Invoice]) {
        await expect(errorsOf(type, body)).resolves.toEqual([{ field: '(body)', messages: ['must be a JSON object'] }]);
      }
    });
  });

  describe('workouts', () => {
    it('accepts the fixture body and returns a CreateWorkoutDto with its values', async () => {
      const check = await validatePayload(JobType.Workout, workoutBody());
      if (!check.valid) throw new Error(JSON.stringify(check.errors));
      expect(check.payload).toBeInstanceOf(CreateWorkoutDto);
      expect(check.payload).toMatchObject({ userId: 'user-1', activity: 'strength', durationSec: 3600 });
      expect((check.payload as CreateWorkoutDto).sets).toHaveLength(2);
    });

    it('accepts a body with only the required fields', async () => {
      await expectValid(JobType.Workout, { userId: 'u', activity: 'run', startedAt: '2026-11-20T07:30:00Z', durationSec: 1 });
    });

    it.each<[string, unknown]>([
      ['userId', text(1)],
      ['userId', text(64)],
      ['activity', 'run'],
      ['activity', 'ride'],
      ['activity', 'swim'],
      ['activity', 'walk'],
      ['activity', 'yoga'],
      ['activity', 'other'],
      ['startedAt', '2026-11-20T07:30:00+02:00'],
      ['startedAt', '2026-11-20T07:30:00.123Z'],
      ['startedAt', '2026-11-20T07:30:00-05:30'],
      ['durationSec', 1],
      ['durationSec', 86_400],
      ['distanceM', 0],
      ['distanceM', 42_195.5],
      ['calories', 0],
      ['calories', 12_000],
      ['notes', ''],
      ['notes', text(2000)],
      ['sets', []],
      ['sets', sets(500)],
      ['sets.0.exercise', text(1)],
      ['sets.0.exercise', text(100)],
      ['sets.0.reps', 1],
      ['sets.0.reps', 1000],
      ['sets.0.weightKg', 0],
      ['sets.0.weightKg', 1000],
      ['sets.0.weightKg', 62.5],
      ['sets.0.weightKg', undefined],
      ['distanceM', undefined],
      ['calories', undefined],
      ['notes', undefined],
      ['sets', undefined],
    ])('accepts %s = %j', async (path, value) => {
      await expectValid(JobType.Workout, withField(workoutBody({ distanceM: 100 }), path, value));
    });

    it.each<[string, unknown]>([
      ['userId', undefined],
      ['userId', ''],
      ['userId', text(65)],
      ['userId', 42],
      ['activity', undefined],
      ['activity', 'dance'],
      ['activity', 'Run'],
      ['startedAt', undefined],
      ['startedAt', '2026-11-20'],
      ['startedAt', '2026-11-20T07:30:00'],
      ['startedAt', '2026-13-20T07:30:00Z'],
      ['startedAt', 'yesterday'],
      ['startedAt', 1_763_800_000_000],
      ['durationSec', undefined],
      ['durationSec', 0],
      ['durationSec', 86_401],
      ['durationSec', 1.5],
      ['durationSec', '60'],
      ['distanceM', -0.1],
      ['distanceM', Number.NaN],
      ['distanceM', Number.POSITIVE_INFINITY],
      ['distanceM', '5000'],
      ['calories', -1],
      ['calories', 1.5],
      ['notes', text(2001)],
      ['notes', 7],
      ['sets', sets(501)],
      ['sets', 'squat'],
      ['sets', { exercise: 'squat', reps: 5 }],
      ['sets.0.exercise', ''],
      ['sets.0.exercise', text(101)],
      ['sets.0.exercise', undefined],
      ['sets.1.reps', 0],
      ['sets.1.reps', 1001],
      ['sets.1.reps', 2.5],
      ['sets.1.reps', undefined],
      ['sets.0.weightKg', -0.5],
      ['sets.0.weightKg', 1000.5],
      ['sets.0.weightKg', Number.NaN],
      ['sets.0.weightKg', '100'],
    ])('reports %s = %j at exactly that field', async (path, value) => {
      await expect(fieldsOf(JobType.Workout, withField(workoutBody({ distanceM: 100 }), path, value))).resolves.toEqual([path]);
    });

    // The worker stores startedAt in a timestamptz column and calories in an
    // integer column. A value accepted here that PostgreSQL refuses gets a 202,
    // then a job that fails every attempt and ends dead.
    it.each(['2026-02-30T07:30:00Z', '2026-04-31T07:30:00Z', '2025-02-29T12:00:00+01:00'])(
      'rejects startedAt %j, a day that does not exist',
      async (startedAt) => {
        await expect(fieldsOf(JobType.Workout, workoutBody({ startedAt }))).resolves.toEqual(['startedAt']);
      },
    );

    it('accepts startedAt on 29 February of a leap year', async () => {
      await expectValid(JobType.Workout, workoutBody({ startedAt: '2028-02-29T07:30:00Z' }));
    });

    it('counts characters as the varchar columns do: a variation selector is one more, so 63 letters and "❤️" are too long for userId', async () => {
      await expectValid(JobType.Workout, workoutBody({ userId: `${text(62)}\u2764\ufe0f` }));
      await expect(fieldsOf(JobType.Workout, workoutBody({ userId: `${text(63)}\u2764\ufe0f` }))).resolves.toEqual(['userId']);
      await expect(fieldsOf(JobType.Invoice, invoiceBody({ customer: { name: `${text(199)}\u2764\ufe0f`, email: 'a@example.com' } }))).resolves.toEqual(['customer.name']);
    });

    it.each([2_147_483_648, 1e21])('rejects calories %p, more than the integer column holds', async (calories) => {
      await expect(fieldsOf(JobType.Workout, workoutBody({ calories }))).resolves.toEqual(['calories']);
    });

    it('reports a bad set deep in the list by its index', async () => {
      const many = sets(300);
      many[257] = { exercise: 'press', reps: 0 };
      await expect(fieldsOf(JobType.Workout, workoutBody({ sets: many }))).resolves.toEqual(['sets.257.reps']);
    });

    it('reports a set that is not an object at its index', async () => {
      const fields = await fieldsOf(JobType.Workout, workoutBody({ sets: [{ exercise: 'squat', reps: 5 }, 'lunge'] }));
      expect(fields.length).toBeGreaterThan(0);
      expect(fields.every((field) => field === 'sets' || field.startsWith('sets.1'))).toBe(true);
    });

    it('reports every wrong field at once', async () => {
      const fields = await fieldsOf(
        JobType.Workout,
        workoutBody({
          userId: '',
          durationSec: 0,
          sets: [
            { exercise: 'squat', reps: 5, weightKg: 2000 },
            { exercise: '', reps: 12 },
          ],
        }),
      );
      expect(fields.sort()).toEqual(['durationSec', 'sets.0.weightKg', 'sets.1.exercise', 'userId']);
    });

    it('says what is wrong, in the words of the rule', async () => {
      const errors = await errorsOf(JobType.Workout, workoutBody({ activity: 'dance', startedAt: '2026-11-20' }));
      const byField = Object.fromEntries(errors.map((error) => [error.field, error.messages.join(' ')]));
      expect(byField.activity).toContain('activity must be one of run, ride, swim, walk, strength, yoga, other');
      expect(byField.startedAt).toContain('time zone');
    });

    it('reports an unknown top-level field as not allowed', async () => {
      await expect(errorsOf(JobType.Workout, workoutBody({ heartRate: 150 }))).resolves.toEqual([
        { field: 'heartRate', messages: ['is not allowed'] },
      ]);
    });

    it('reports an unknown field in a set at its dotted path', async () => {
      const body = workoutBody({ sets: [{ exercise: 'squat', reps: 5 }, { exercise: 'lunge', reps: 12, tempo: '3-1-1' }] });
      await expect(errorsOf(JobType.Workout, body)).resolves.toEqual([{ field: 'sets.1.tempo', messages: ['is not allowed'] }]);
    });

    it('does not accept the fields of an invoice', async () => {
      const fields = await fieldsOf(JobType.Workout, invoiceBody());
      expect(fields).toEqual(expect.arrayContaining(['orderId', 'customer', 'currency', 'lines', 'userId', 'activity']));
    });
  });

  describe('invoices', () => {
    it('accepts the fixture body and returns a CreateInvoiceDto with its values', async () => {
      const check = await validatePayload(JobType.Invoice, invoiceBody());
      if (!check.valid) throw new Error(JSON.stringify(check.errors));
      expect(check.payload).toBeInstanceOf(CreateInvoiceDto);
      expect(check.payload).toMatchObject({ orderId: 'order-1', currency: 'EUR', taxRatePercent: 20 });
      expect((check.payload as CreateInvoiceDto).lines).toHaveLength(2);
      expect((check.payload as CreateInvoiceDto).customer.email).toBe('ada@example.com');
    });

    it('accepts a body with only the required fields', async () => {
      await expectValid(JobType.Invoice, {
        orderId: 'o',
        customer: { name: 'A', email: 'a@example.com' },
        currency: 'JPY',
        lines: [{ description: 'd', quantity: 1, unitPriceCents: 0 }],
      });
    });

    it.each<[string, unknown]>([
      ['orderId', text(1)],
      ['orderId', text(64)],
      ['customer.name', text(1)],
      ['customer.name', text(200)],
      ['customer.email', 'first.last+tag@sub.example.org'],
      ['customer.address', text(500)],
      ['customer.address', undefined],
      ['currency', 'USD'],
      ['currency', 'BHD'],
      ['lines', lines(1)],
      ['lines', lines(200)],
      ['lines.0.description', text(1)],
      ['lines.0.description', text(500)],
      ['lines.0.quantity', 1],
      ['lines.0.quantity', 100_000],
      ['lines.1.unitPriceCents', 0],
      ['lines.1.unitPriceCents', 1_000_000_000],
      ['taxRatePercent', 0],
      ['taxRatePercent', 100],
      ['taxRatePercent', 8.875],
      ['taxRatePercent', 0.0001],
      ['taxRatePercent', 12.3456],
      ['taxRatePercent', undefined],
      ['issuedAt', '2024-02-29'],
      ['issuedAt', undefined],
    ])('accepts %s = %j', async (path, value) => {
      await expectValid(JobType.Invoice, withField(invoiceBody(), path, value));
    });

    it.each<[string, unknown]>([
      ['orderId', undefined],
      ['orderId', ''],
      ['orderId', text(65)],
      ['orderId', 1234],
      ['customer', undefined],
      ['customer', 'Ada Lovelace'],
      ['customer.name', undefined],
      ['customer.name', ''],
      ['customer.name', text(201)],
      ['customer.email', undefined],
      ['customer.email', 'not-an-email'],
      ['customer.email', 'ada@'],
      ['customer.address', text(501)],
      ['customer.address', 12],
      ['currency', undefined],
      ['currency', 'ZZZ'],
      ['currency', 'EURO'],
      ['currency', '€'],
      ['lines', undefined],
      ['lines', []],
      ['lines', lines(201)],
      ['lines', 'one line'],
      ['lines.0.description', ''],
      ['lines.0.description', text(501)],
      ['lines.0.description', undefined],
      ['lines.0.quantity', 0],
      ['lines.0.quantity', 100_001],
      ['lines.0.quantity', 1.5],
      ['lines.0.quantity', '3'],
      ['lines.1.unitPriceCents', -1],
      ['lines.1.unitPriceCents', 1_000_000_001],
      ['lines.1.unitPriceCents', 19.99],
      ['lines.1.unitPriceCents', undefined],
      ['taxRatePercent', -0.0001],
      ['taxRatePercent', 100.0001],
      ['taxRatePercent', 8.87501],
      ['taxRatePercent', '20'],
      ['taxRatePercent', Number.NaN],
      ['issuedAt', '20-11-2026'],
      ['issuedAt', '2026-02-30'],
      ['issuedAt', 'tomorrow'],
      ['issuedAt', 20_261_120],
    ])('reports %s = %j at exactly that field', async (path, value) => {
      await expect(fieldsOf(JobType.Invoice, withField(invoiceBody(), path, value))).resolves.toEqual([path]);
    });

    // issuedAt goes into a date column: ISO-8601 forms that are not a calendar
    // day (reduced precision, week dates) are refused by PostgreSQL, so the job
    // would fail every attempt and end dead.
    it.each(['2026', '2026-11', '2026-W47-5'])('rejects issuedAt %j, which is not a calendar date', async (issuedAt) => {
      await expect(fieldsOf(JobType.Invoice, invoiceBody({ issuedAt }))).resolves.toEqual(['issuedAt']);
    });

    it('reports a bad line deep in the list by its index', async () => {
      const many = lines(150);
      many[149] = { description: 'last', quantity: 0, unitPriceCents: 1 };
      await expect(fieldsOf(JobType.Invoice, invoiceBody({ lines: many }))).resolves.toEqual(['lines.149.quantity']);
    });

    it('reports an unknown top-level field as not allowed', async () => {
      await expect(errorsOf(JobType.Invoice, invoiceBody({ discountCents: 100 }))).resolves.toEqual([
        { field: 'discountCents', messages: ['is not allowed'] },
      ]);
    });

    it('reports an unknown field of the customer at its dotted path', async () => {
      const body = invoiceBody({ customer: { name: 'Ada', email: 'ada@example.com', vatId: 'GB123' } });
      await expect(errorsOf(JobType.Invoice, body)).resolves.toEqual([{ field: 'customer.vatId', messages: ['is not allowed'] }]);
    });

    it('reports an unknown field of a line at its dotted path', async () => {
      const body = invoiceBody({ lines: [{ description: 'd', quantity: 1, unitPriceCents: 1, sku: 'A-1' }] });
      await expect(errorsOf(JobType.Invoice, body)).resolves.toEqual([{ field: 'lines.0.sku', messages: ['is not allowed'] }]);
    });

    it('says what is wrong with an email and a currency', async () => {
      const errors = await errorsOf(JobType.Invoice, invoiceBody({ currency: 'ZZZ', customer: { name: 'Ada', email: 'nope' } }));
      const byField = Object.fromEntries(errors.map((error) => [error.field, error.messages.join(' ')]));
      expect(byField['customer.email']).toContain('email must be a valid email address');
      expect(byField.currency).toContain('ISO 4217');
    });

    describe('total', () => {
      // 90 lines of 100,000 × 1,000,000,000 cents, one of 7,199 × 1,000,000,000, one of 254,740,991:
      // exactly Number.MAX_SAFE_INTEGER (9,007,199,254,740,991) cents.
      const linesTotalling = (lastLineCents: number) => [
        ...Array.from({ length: 90 }, (_, index) => ({ description: `bulk ${index}`, quantity: 100_000, unitPriceCents: 1_000_000_000 })),
        { description: 'more', quantity: 7199, unitPriceCents: 1_000_000_000 },
        { description: 'rest', quantity: 1, unitPriceCents: lastLineCents },
      ];

      it('accepts a total of exactly Number.MAX_SAFE_INTEGER cents', async () => {
        await expectValid(JobType.Invoice, invoiceBody({ lines: linesTotalling(254_740_991), taxRatePercent: 0 }));
      });

      it('rejects a total one cent above Number.MAX_SAFE_INTEGER, at lines', async () => {
        const errors = await errorsOf(JobType.Invoice, invoiceBody({ lines: linesTotalling(254_740_992), taxRatePercent: 0 }));
        expect(errors).toEqual([{ field: 'lines', messages: [`the invoice total must not exceed ${Number.MAX_SAFE_INTEGER} cents`] }]);
      });

      it('counts the tax in the total', async () => {
        // 5e15 cents of subtotal is safe; with 100 % tax it is 1e16.
        const body = invoiceBody({
          lines: Array.from({ length: 50 }, () => ({ description: 'd', quantity: 100_000, unitPriceCents: 1_000_000_000 })),
        });
        await expectValid(JobType.Invoice, { ...body, taxRatePercent: 0 });
        await expect(fieldsOf(JobType.Invoice, { ...body, taxRatePercent: 100 })).resolves.toEqual(['lines']);
      });

      it('rejects the largest invoice the line rules allow', async () => {
        const body = invoiceBody({
          lines: Array.from({ length: 200 }, () => ({ description: 'd', quantity: 100_000, unitPriceCents: 1_000_000_000 })),
        });
        await expect(fieldsOf(JobType.Invoice, body)).resolves.toEqual(['lines']);
      });
    });

    it('does not accept the fields of a workout', async () => {
      const fields = await fieldsOf(JobType.Invoice, workoutBody());
      expect(fields).toEqual(expect.arrayContaining(['userId', 'activity', 'orderId', 'customer', 'lines']));
    });
  });
});
