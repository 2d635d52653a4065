import { BatonProcess, Exit, Placement, startApi, startWorker } from '../../test/support/processes';

export type Role = 'api' | 'worker';

/** One Baton process in a slot of its group; a slot's process is replaced when it dies. */
export interface Member {
  readonly slot: number;
  /** Unique in the run; also the application_name of its PostgreSQL sessions. */
  readonly name: string;
  readonly process: BatonProcess;
  /** Resolves once it reported ready; rejects if it exited first. */
  readonly ready: Promise<void>;
  /** Set before the harness stops it on purpose, so that its exit is not counted as a crash. */
  planned: boolean;
  /** True while the load may send it requests (an API that is ready and not being killed). */
  serving: boolean;
}

export interface ExitRecord {
  name: string;
  exit: Exit;
  at: Date;
  /** The signal the harness sent, or undefined for an exit nobody asked for. */
  sent?: NodeJS.Signals;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 45_000;

/**
 * A supervised group of API or worker processes, as a Deployment with a
 * restart policy would run them: the harness may kill or replace a slot's
 * process, and a process that exits by itself is started again (and counted).
 */
export class ProcessGroup {
  private readonly current = new Map<number, Member>();
  /** Every process the group ever started, in order. */
  readonly history: Member[] = [];
  readonly exits: ExitRecord[] = [];
  /** Processes started to replace one that died or was killed. */
  restarts = 0;
  private generation = 0;
  private stopping = false;

  constructor(
    readonly role: Role,
    private readonly envFor: (name: string, slot: number) => Record<string, string>,
    /** Where a slot's processes run: here unless it says otherwise (a network namespace). */
    private readonly placementFor: (slot: number) => Placement | undefined = () => undefined,
    /** Begins each process's name (and so its PostgreSQL application_name): `chaos-<role>` unless a group of several needs its own. */
    private readonly namePrefix = `chaos-${role}`,
  ) {}

  get members(): Member[] {
    return [...this.current.values()];
  }

  get unplannedExits(): ExitRecord[] {
    return this.exits.filter((record) => record.sent === undefined);
  }

  /** Starts `count` processes and waits until every one is ready. */
  async start(count: number): Promise<void> {
    const started: Member[] = [];
    for (let slot = 1; slot <= count; slot++) started.push(await this.spawn(slot));
    await Promise.all(started.map((member) => member.ready));
  }

  /** The base URL of a process that may take requests now, chosen by `choose`; undefined if none. */
  pickServing(choose: <T>(items: readonly T[]) => T): string | undefined {
    const serving = this.members.filter((member) => member.serving && member.process.running);
    return serving.length > 0 ? choose(serving).process.url : undefined;
  }

  /** The process, current or gone, whose PostgreSQL sessions carry this application_name. */
  bySessionName(applicationName: string): Member | undefined {
    return this.history.find((member) => member.name === applicationName);
  }

  byPid(pid: number): Member | undefined {
    return this.history.find((member) => member.process.running && member.process.child.pid === pid);
  }

  /**
   * Stops a slot's process with `signal` (SIGKILL: a crash, an OOM kill, a
   * lost node) and starts its replacement at once, as a supervisor would.
   * Resolves once the replacement is spawned, not once it is ready.
   */
  async kill(slot: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<Member> {
    const victim = this.current.get(slot);
    if (!victim) throw new Error(`no ${this.role} in slot ${slot}`);
    victim.planned = true;
    victim.serving = false;
    const exit = await victim.process.stop(signal);
    this.exits.push({ name: victim.name, exit, at: new Date(), sent: signal });
    this.restarts++;
    return this.spawn(slot);
  }

  /**
   * A rolling update of one slot (maxSurge 1, maxUnavailable 0): starts the
   * replacement, waits until it is ready, then SIGTERMs the old process and
   * waits for its exit, which it returns.
   */
  async replace(slot: number): Promise<ExitRecord> {
    const old = this.current.get(slot);
    if (!old) throw new Error(`no ${this.role} in slot ${slot}`);
    const next = await this.spawn(slot);
    await next.ready;
    old.planned = true;
    old.serving = false;
    const exit = await withTimeout(old.process.stop('SIGTERM'), STOP_TIMEOUT_MS, () => old.process.stop('SIGKILL'));
    const record = { name: old.name, exit, at: new Date(), sent: 'SIGTERM' as const };
    this.exits.push(record);
    return record;
  }

  /** Waits until every current process is ready; returns the names of those that are not by then. */
  async settle(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const members = this.members;
      const states = await Promise.all(members.map(async (member) => member.process.running && (await member.process.isReady())));
      const notReady = members.filter((_, index) => !states[index]).map((member) => member.name);
      if (notReady.length === 0 || Date.now() > deadline) return notReady;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGTERMs every current process (SIGKILL after a bound) and returns how each ended. */
  async stop(): Promise<ExitRecord[]> {
    this.stopping = true;
    const records = await Promise.all(
      this.members.map(async (member) => {
        member.planned = true;
        member.serving = false;
        const exit = await withTimeout(member.process.stop('SIGTERM'), STOP_TIMEOUT_MS, () => member.process.stop('SIGKILL'));
        return { name: member.name, exit, at: new Date(), sent: 'SIGTERM' as const };
      }),
    );
    this.exits.push(...records);
    return records;
  }

  /** Whatever still runs, killed: for clean-up after a failure. */
  async killAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.history.filter((member) => member.process.running).map((member) => member.process.stop('SIGKILL')));
  }

  private async spawn(slot: number): Promise<Member> {
    const name = `${this.namePrefix}-${slot}-${++this.generation}`;
    const env = this.envFor(name, slot);
    const options = { ready: false, placement: this.placementFor(slot) };
    const child = this.role === 'api' ? await startApi(env, options) : await startWorker(env, options);
    const member: Member = {
      slot,
      name,
      process: child,
      planned: false,
      serving: false,
      ready: child.waitUntilReady(READY_TIMEOUT_MS).then(() => {
        if (!member.planned) member.serving = true;
      }),
    };
    // Handled here so that a process killed before it was ready is no unhandled rejection; callers that await it still see the error.
    member.ready.catch(() => undefined);
    this.current.set(slot, member);
    this.history.push(member);
    void child.exited.then((exit) => this.onExit(member, exit));
    return member;
  }

  private onExit(member: Member, exit: Exit): void {
    if (member.planned || this.stopping) return;
    this.exits.push({ name: member.name, exit, at: new Date() });
    member.serving = false;
    if (this.current.get(member.slot) !== member) return;
    this.restarts++;
    void this.spawn(member.slot);
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, fallback: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const outcome = await Promise.race([work, late]);
  clearTimeout(timer);
  return outcome === 'late' ? fallback() : (outcome as T);
}
