import { Metrics } from '@baton/observability';
import { QueuePauseSource, QueuePauseWatcher } from './queue-pause-watcher';

describe('QueuePauseWatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A source that fails its first `failures` reads (the database not connected yet), then finds `paused`. */
  function flakySource(failures: number, paused: string[] = []): QueuePauseSource & { reads: number } {
    const source = {
      reads: 0,
      async paused() {
        source.reads += 1;
        if (source.reads <= failures) throw new Error('not connected to PostgreSQL yet');
        return paused.map((queue) => ({ queue }));
      },
    };
    return source;
  }

  it('tries a failed first read again within 50 ms, then doubling, and applies the first read that succeeds', async () => {
    const source = flakySource(3, ['invoices']);
    const watcher = new QueuePauseWatcher(new Metrics(), source);
    const applied: string[][] = [];
    watcher.watch(async (paused) => void applied.push([...paused]));
    await jest.advanceTimersByTimeAsync(0);
    expect(source.reads).toBe(1);
    await jest.advanceTimersByTimeAsync(50);
    expect(source.reads).toBe(2);
    await jest.advanceTimersByTimeAsync(100);
    expect(source.reads).toBe(3);
    expect(applied).toEqual([]);
    await jest.advanceTimersByTimeAsync(200);
    expect(source.reads).toBe(4);
    expect(applied).toEqual([['invoices']]);
    watcher.stop();
  });

  it('reads once a second once a read has succeeded', async () => {
    const source = flakySource(0);
    const watcher = new QueuePauseWatcher(new Metrics(), source);
    watcher.watch(async () => undefined);
    await jest.advanceTimersByTimeAsync(999);
    expect(source.reads).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(source.reads).toBe(2);
    watcher.stop();
  });
});
