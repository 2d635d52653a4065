export interface QueueStats {
  queue: string;
  messages: number;
  consumers: number;
}

/** Reads the depth and consumers of every Baton queue (work, retry, dead-letter). */
export abstract class QueueInspector {
  abstract stats(): Promise<QueueStats[]>;
}
