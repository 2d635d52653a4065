/** QueuePauseRepository on the real database: pausing and resuming are idempotent, and the first pause is the one kept. */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { QueuePauseRepository } from '@baton/persistence';
import { openTestDataSource } from '../support/services';

describe('QueuePauseRepository (PostgreSQL)', () => {
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let pauses: QueuePauseRepository;

  beforeAll(async () => {
    ({ ds, close } = await openTestDataSource('baton_queue_pauses'));
    pauses = new QueuePauseRepository(ds);
  });

  afterAll(async () => {
    await close?.();
  });

  it('lists nothing while no queue is paused', async () => {
    await expect(pauses.paused()).resolves.toEqual([]);
  });

  it('keeps the first pause of a queue paused twice, and lists it', async () => {
    const first = await pauses.pause('emails', 'key-1');
    expect(first).toEqual({ queue: 'emails', pausedAt: expect.any(Date), pausedBy: 'key-1' });

    const again = await pauses.pause('emails', 'key-2');
    expect(again).toEqual(first);
    await expect(pauses.paused()).resolves.toEqual([first]);
  });

  it('resumes a paused queue once; resuming a running one does nothing', async () => {
    await pauses.pause('webhooks', 'cli');
    await expect(pauses.resume('emails')).resolves.toBe(true);
    await expect(pauses.resume('emails')).resolves.toBe(false);
    await expect(pauses.paused()).resolves.toEqual([expect.objectContaining({ queue: 'webhooks', pausedBy: 'cli' })]);
    await pauses.resume('webhooks');
  });
});
