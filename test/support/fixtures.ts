/** A valid workout body; override fields per test. */
export function workoutBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    userId: 'user-1',
    activity: 'strength',
    startedAt: '2026-11-20T07:30:00Z',
    durationSec: 3600,
    calories: 420,
    notes: 'leg day',
    sets: [
      { exercise: 'squat', reps: 5, weightKg: 100 },
      { exercise: 'lunge', reps: 12 },
    ],
    ...overrides,
  };
}

/** A valid invoice body; override fields per test. */
export function invoiceBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    orderId: 'order-1',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', address: '12 Analytical Row, London' },
    currency: 'EUR',
    lines: [
      { description: 'Annual plan', quantity: 1, unitPriceCents: 9900 },
      { description: 'Extra seat', quantity: 3, unitPriceCents: 1999 },
    ],
    taxRatePercent: 20,
    issuedAt: '2026-11-20',
    ...overrides,
  };
}
