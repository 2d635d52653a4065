import { Metrics } from '@baton/observability';
import type { DataSource } from 'typeorm';
import { ReplayCatchUp } from './replay-position';
import { PrimaryReason, ReplicaReads, RoutedReplica, unlessMissing } from './replica-reads';

const MIN_AGE_MS = 1000;

/** A stand-in replica: its data source is a token the query recognises; its staleness is set by hand. */
function replica(name: string, state: { up?: boolean; stalenessMs?: number } = {}): RoutedReplica & { failures: unknown[] } {
  const catchUp = new ReplayCatchUp();
  const staleness = state.stalenessMs ?? 0;
  if (Number.isFinite(staleness)) {
    catchUp.primaryAt(Date.now() - staleness, 0n);
    catchUp.replayed(0n);
  }
  const failures: unknown[] = [];
  return {
    name,
    dataSource: { name } as unknown as DataSource,
    catchUp,
    up: state.up ?? true,
    probeDueAt: Number.MAX_SAFE_INTEGER,
    probe: async () => undefined,
    failed: (error: unknown) => void failures.push(error),
    close: async () => undefined,
    failures,
  };
}

const PRIMARY = { name: 'primary' } as unknown as DataSource;
const sourceName = (source: DataSource) => (source as unknown as { name: string }).name;

describe(ReplicaReads.name, () => {
  let reads: ReplicaReads | undefined;
  let metrics: Metrics;

  beforeEach(() => {
    metrics = new Metrics();
  });

  afterEach(async () => {
    await reads?.onApplicationShutdown();
    reads = undefined;
  });

  const routed = async (name: string, reason: string) =>
    (await metrics.databaseReads.get()).values.find((value) => value.labels.target === name && value.labels.reason === reason)?.value ?? 0;

  // Each case: the replica's state, what it answers, the verdict on its answer; where the read is answered, and why.
  it.each<[string, { up?: boolean; stalenessMs?: number }, string | null | Error, PrimaryReason | undefined, string, [string, string]]>([
    ['an up, caught-up replica that has it', {}, 'row', undefined, 'replica', ['replica', 'fresh']],
    ['a replica just within the bound', { stalenessMs: MIN_AGE_MS - 50 }, 'row', undefined, 'replica', ['replica', 'fresh']],
    ['a replica without the row', {}, null, 'not-found', 'primary', ['primary', 'not-found']],
    ['a row the verdict finds too young', {}, 'row', 'too-young', 'primary', ['primary', 'too-young']],
    ['a replica that is down', { up: false }, 'row', undefined, 'primary', ['primary', 'no-replica']],
    ['a replica behind by more than the bound', { stalenessMs: MIN_AGE_MS + 200 }, 'row', undefined, 'primary', ['primary', 'no-replica']],
    ['a replica never measured yet', { stalenessMs: Infinity }, 'row', undefined, 'primary', ['primary', 'no-replica']],
    ['a replica whose statement fails', {}, new Error('canceling statement due to conflict with recovery'), undefined, 'primary', ['primary', 'replica-error']],
  ])('%s: answered by the %s', async (_case, state, answer, verdict, where, [target, reason]) => {
    const standby = replica('standby', state);
    reads = new ReplicaReads(undefined, [standby], MIN_AGE_MS, metrics);
    const result = await reads.read(
      PRIMARY,
      async (source) => {
        if (sourceName(source) === 'primary') return 'primary';
        if (answer instanceof Error) throw answer;
        return answer === null ? null : 'replica';
      },
      (found) => (found === null ? 'not-found' : verdict),
    );
    expect(result).toBe(where);
    expect(await routed(target, reason)).toBe(1);
    expect(standby.failures).toHaveLength(answer instanceof Error ? 1 : 0);
  });

  it('takes the replicas in turn, skipping one that is down', async () => {
    const [one, two, three] = [replica('one'), replica('two', { up: false }), replica('three')];
    reads = new ReplicaReads(undefined, [one, two, three], MIN_AGE_MS, metrics);
    const answered: string[] = [];
    for (let i = 0; i < 4; i++) answered.push(await reads.read(PRIMARY, async (source) => sourceName(source), unlessMissing));
    expect(answered).toEqual(['one', 'three', 'one', 'three']);
  });

  it('with a bound of 0, reads any up replica however far behind, and still hands a miss to the primary', async () => {
    reads = new ReplicaReads(undefined, [replica('standby', { stalenessMs: Infinity })], 0, metrics);
    expect(await reads.read(PRIMARY, async (source) => sourceName(source), unlessMissing)).toBe('standby');
    expect(await reads.read(PRIMARY, async (source) => (sourceName(source) === 'primary' ? 'primary' : null), unlessMissing)).toBe('primary');
    expect(reads.tooYoung(new Date())).toBe(false);
  });

  it('without replicas, runs every read on the primary and counts nothing', async () => {
    reads = new ReplicaReads(undefined, [], MIN_AGE_MS, metrics);
    expect(await reads.read(PRIMARY, async (source) => sourceName(source), () => 'not-found')).toBe('primary');
    expect((await metrics.databaseReads.get()).values).toEqual([]);
  });

  it.each([
    [0, true],
    [MIN_AGE_MS - 100, true],
    [MIN_AGE_MS + 100, false],
  ])('a job created %i ms ago is too young: %s', (ageMs, young) => {
    reads = new ReplicaReads(undefined, [], MIN_AGE_MS);
    expect(reads.tooYoung(new Date(Date.now() - ageMs))).toBe(young);
  });
});
