/** A WAL position as PostgreSQL prints it (`16/B374D848`), as a number of bytes. */
export function walPosition(text: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(text);
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** Samples kept per replica: at one per probe, a replica this far behind is stale anyway. */
const MAX_SAMPLES = 1000;

/**
 * How far behind the primary one replica may be, from the replica's own
 * replay position rather than from timestamps (an idle primary commits
 * nothing, so `now() - pg_last_xact_replay_timestamp()` grows without the
 * replica missing anything). The primary's flushed WAL position is sampled
 * with the time just before it was asked: every commit acknowledged before
 * that time lies below that position. Once the replica has replayed past
 * it, the replica holds every commit made before that time; the newest
 * such time is what the replica is known to have caught up to.
 */
export class ReplayCatchUp {
  private samples: Array<{ at: number; position: bigint }> = [];
  private caughtUpAt: number | undefined;

  /** The primary's flushed WAL position, read by a query sent at `at` (epoch ms). */
  primaryAt(at: number, position: bigint): void {
    this.samples.push({ at, position });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /** The replica has replayed up to `position`. */
  replayed(position: bigint): void {
    let newest = -1;
    for (let index = 0; index < this.samples.length && this.samples[index].position <= position; index++) newest = index;
    if (newest < 0) return;
    const at = this.samples[newest].at;
    this.caughtUpAt = Math.max(this.caughtUpAt ?? at, at);
    // That sample stays: the next replay may reach no further than it.
    this.samples = this.samples.slice(newest);
  }

  /** Milliseconds since the newest moment the replica is known to hold every commit before; Infinity before the first. */
  stalenessMs(now: number): number {
    return this.caughtUpAt === undefined ? Infinity : Math.max(0, now - this.caughtUpAt);
  }

  /** Forgets what was known: a replica that was away may have come back as another server. */
  reset(): void {
    this.samples = [];
    this.caughtUpAt = undefined;
  }
}
