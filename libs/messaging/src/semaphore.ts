/** Lets at most `limit` holders in at once; the rest wait in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

/**
 * Lets holders in together, or one alone: `alone` waits until every holder
 * has left and keeps the others out meanwhile; holders that come while an
 * `alone` waits queue behind it, so it is never starved. Arrival order is
 * kept otherwise.
 */
export class IsolationGate {
  private together = 0;
  private alone = false;
  private readonly waiting: Array<{ alone: boolean; enter: () => void }> = [];

  /** Enters beside the other holders (none of them alone). */
  enterTogether(): Promise<void> {
    if (!this.alone && this.waiting.length === 0) {
      this.together++;
      return Promise.resolve();
    }
    return new Promise((enter) => this.waiting.push({ alone: false, enter }));
  }

  /** Enters alone, once every holder has left. */
  enterAlone(): Promise<void> {
    if (!this.alone && this.together === 0 && this.waiting.length === 0) {
      this.alone = true;
      return Promise.resolve();
    }
    return new Promise((enter) => this.waiting.push({ alone: true, enter }));
  }

  leave(): void {
    if (this.alone) this.alone = false;
    else this.together--;
    this.admit();
  }

  private admit(): void {
    while (this.waiting.length > 0 && !this.alone) {
      const next = this.waiting[0];
      if (next.alone) {
        if (this.together > 0) return;
        this.alone = true;
      } else {
        this.together++;
      }
      this.waiting.shift();
      next.enter();
    }
  }
}
