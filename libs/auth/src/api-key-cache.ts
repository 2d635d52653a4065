import type { ApiKeyChangeSubscriber } from '@baton/persistence';
import { Principal } from './principal';

export interface ApiKeyCacheOptions {
  /** How long an entry is trusted at most, should a notification ever be lost; 0 turns the cache off. */
  maxAgeMs: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  principal: Principal;
  storedAt: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Active API keys by hash, so that a request need not look its key up in
 * PostgreSQL. Trusted only while change notifications are live: a
 * revocation commits, PostgreSQL notifies every listening replica, and the
 * key is forgotten within milliseconds. Unknown or revoked keys are never
 * cached, so a new key works at once and a bad one is always looked up.
 *
 * A look-up that was under way when a notification arrived may carry what
 * the notification just made stale; `generation` tells, and such a result
 * is not stored.
 */
export class ApiKeyCache implements ApiKeyChangeSubscriber {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private live = false;
  private changes = 0;

  constructor(private readonly options: ApiKeyCacheOptions) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.maxAgeMs > 0;
  }

  /** Counts the changes heard so far: taken before a look-up, handed back to `remember`. */
  get generation(): number {
    return this.changes;
  }

  get(keyHash: string): Principal | undefined {
    if (!this.live) return undefined;
    const entry = this.entries.get(keyHash);
    if (entry === undefined) return undefined;
    if (this.now() - entry.storedAt >= this.options.maxAgeMs) {
      this.entries.delete(keyHash);
      return undefined;
    }
    return entry.principal;
  }

  /** Stores a key found active, unless notifications are down or a change arrived since `generation`. */
  remember(keyHash: string, principal: Principal, generation: number): void {
    if (!this.live || !this.enabled || generation !== this.changes) return;
    if (this.entries.size >= this.maxEntries) {
      // The oldest entry goes: Maps iterate in insertion order.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(keyHash, { principal, storedAt: this.now() });
  }

  keyChanged(keyHash: string): void {
    this.changes++;
    this.entries.delete(keyHash);
  }

  notificationsLive(live: boolean): void {
    // Whatever changed while nobody listened is unknown: start from nothing either way.
    this.changes++;
    this.entries.clear();
    this.live = live;
  }

  get size(): number {
    return this.entries.size;
  }
}
