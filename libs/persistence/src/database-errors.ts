// SQLSTATE classes and codes that mean "the database is not there right now",
// as opposed to a query that is wrong: connection exceptions (08), operator
// intervention such as a shutdown or a failover (57P0x), too many connections;
// and pg's own "Query read timeout": the client gave up on an answer that
// even the server's statement_timeout did not send (a partitioned network).
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
const UNAVAILABLE_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection is not open|Client has encountered a connection error|Connection terminated unexpectedly|Query read timeout/i;

/** True when an error says PostgreSQL cannot be reached, so the caller should back off and retry. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if ((error as Error)?.name === 'DatabaseNotConnectedError') return true;
  for (let current: unknown = error, depth = 0; current && depth < 3; depth++) {
    const { code, message, driverError } = current as { code?: unknown; message?: unknown; driverError?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))) {
      return true;
    }
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    current = driverError;
  }
  return false;
}
