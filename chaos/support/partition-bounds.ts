/**
 * The bounds within which Baton notices a half-open partition, shortened for
 * the partition scenarios so that each runs out several times over in a
 * cut of seconds (see docs/operations.md, "Network partitions").
 */
export interface PartitionBounds {
  /** RABBITMQ_HEARTBEAT_SEC: amqplib gives up after two to three of them without a frame. */
  heartbeatSec: number;
  /** DATABASE_STATEMENT_TIMEOUT_MS: the server's bound, also on a transaction left idle by a cut-off client. */
  statementTimeoutMs: number;
  /** DATABASE_QUERY_TIMEOUT_MS: the client's bound on an answer. */
  queryTimeoutMs: number;
}

export const QUICK_BOUNDS: PartitionBounds = { heartbeatSec: 2, statementTimeoutMs: 2_000, queryTimeoutMs: 3_000 };
export const FULL_BOUNDS: PartitionBounds = { heartbeatSec: 5, statementTimeoutMs: 5_000, queryTimeoutMs: 7_000 };

/** The settings that give every process of a scenario these bounds. */
export function boundsEnv(bounds: PartitionBounds): Record<string, string> {
  return {
    RABBITMQ_HEARTBEAT_SEC: String(bounds.heartbeatSec),
    DATABASE_STATEMENT_TIMEOUT_MS: String(bounds.statementTimeoutMs),
    DATABASE_QUERY_TIMEOUT_MS: String(bounds.queryTimeoutMs),
  };
}
