import { Logger } from '@nestjs/common';
import { BatonConfig } from '@baton/config';
import { JobType } from '@baton/contracts';
import { OldestPending, QueueAgeRepository } from '@baton/persistence';
import { QueueAgeReporter } from './queue-age-reporter';

/** A reporter whose reads answer `reads` in turn, at the clock's `readAt`; started and stopped so that each read has settled. */
async function reporterAfter(reads: Array<OldestPending[] | undefined | Error>, readAt = 1_000_000): Promise<QueueAgeReporter> {
  const queueAges = {
    oldestPending: jest.fn(async () => {
      const next = reads.shift();
      if (next instanceof Error) throw next;
      return next;
    }),
  } as unknown as QueueAgeRepository;
  const reporter = new QueueAgeReporter(queueAges, { QUEUE_AGE_REFRESH_MS: 3_600_000 } as BatonConfig);
  jest.spyOn(Date, 'now').mockReturnValue(readAt);
  // A failed read is logged; not in the test's output.
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  for (let read = 0, count = reads.length; read < count; read++) {
    reporter.onApplicationBootstrap();
    await reporter.beforeApplicationShutdown();
  }
  return reporter;
}

describe(QueueAgeReporter.name, () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['a waiting job ages with the clock between reads', [[{ type: JobType.Workout, ageSeconds: 10 }]], 2_500, [{ queue: 'workouts', ageSeconds: 12.5 }]],
    ['a queue with nothing waiting stays at 0', [[{ type: JobType.Invoice, ageSeconds: 0 }]], 60_000, [{ queue: 'invoices', ageSeconds: 0 }]],
    ['another replica holds the lock: nothing to report', [undefined], 0, undefined],
    ['the read failed: nothing, rather than a stale age', [[{ type: JobType.Workout, ageSeconds: 10 }], new Error('connection terminated')], 0, undefined],
    ['the lock was lost to another replica: nothing', [[{ type: JobType.Workout, ageSeconds: 10 }], undefined], 0, undefined],
    ['a later read replaces the earlier one', [[{ type: JobType.Workout, ageSeconds: 10 }], [{ type: JobType.Workout, ageSeconds: 3 }]], 1_000, [{ queue: 'workouts', ageSeconds: 4 }]],
  ] as const)('%s', async (_case, reads, elapsedMs, expected) => {
    const reporter = await reporterAfter([...reads] as Array<OldestPending[] | undefined | Error>);
    jest.spyOn(Date, 'now').mockReturnValue(1_000_000 + elapsedMs);
    expect(reporter.current()).toEqual(expected);
  });
});
