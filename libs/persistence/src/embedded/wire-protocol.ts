/**
 * The few parts of PostgreSQL's frontend/backend protocol (version 3) that
 * the embedded server must read or change: message framing, the names of
 * prepared statements and portals, and LISTEN/UNLISTEN. Everything else
 * passes through as bytes.
 */

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

export type FrontendMessage =
  /** The startup message: no type byte, the protocol version after the length. */
  | { kind: 'startup'; bytes: Buffer }
  /** SSLRequest or GSSENCRequest: answered `N` (no encryption) by the server itself. */
  | { kind: 'encryption-request' }
  /** CancelRequest: PGlite has no backend process to signal. */
  | { kind: 'cancel-request' }
  | { kind: 'message'; type: string; bytes: Buffer };

/** Cuts a client's byte stream into whole messages. */
export class FrontendReader {
  private buffered: Buffer = Buffer.alloc(0);
  private started = false;

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
  }

  /** The next whole message, or undefined until more bytes arrive. */
  next(): FrontendMessage | undefined {
    if (!this.started) {
      if (this.buffered.length < 8) return undefined;
      const length = this.buffered.readInt32BE(0);
      if (this.buffered.length < length) return undefined;
      const bytes = this.take(length);
      const code = bytes.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) return { kind: 'encryption-request' };
      if (code === CANCEL_REQUEST) return { kind: 'cancel-request' };
      this.started = true;
      return { kind: 'startup', bytes };
    }
    if (this.buffered.length < 5) return undefined;
    const length = 1 + this.buffered.readInt32BE(1);
    if (this.buffered.length < length) return undefined;
    const bytes = this.take(length);
    return { kind: 'message', type: String.fromCharCode(bytes[0]), bytes };
  }

  private take(length: number): Buffer {
    const bytes = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return bytes;
  }
}

/** Whole backend messages in `output` (one call's complete answer), each with its type. */
export function backendMessages(output: Buffer): Array<{ type: string; bytes: Buffer }> {
  const messages: Array<{ type: string; bytes: Buffer }> = [];
  let offset = 0;
  while (offset + 5 <= output.length) {
    const end = offset + 1 + output.readInt32BE(offset + 1);
    messages.push({ type: String.fromCharCode(output[offset]), bytes: output.subarray(offset, end) });
    offset = end;
  }
  return messages;
}

/** The channel a NotificationResponse (`A`) is for. */
export function notificationChannel(message: Buffer): string {
  // Int32 process id after the header, then the channel as a C string.
  return cString(message, 9).value;
}

/** A simple Query (`Q`) message, as the server sends its own statements. */
export function queryMessage(sql: string): Buffer {
  return message('Q', [cStringBytes(sql)]);
}

/** Close (`C`) of a prepared statement. */
export function closeStatementMessage(name: string): Buffer {
  return message('C', [Buffer.from('S'), cStringBytes(name)]);
}

/** Execute (`E`) of a portal, all its rows. */
export function executeMessage(portal: string): Buffer {
  return message('E', [cStringBytes(portal), Buffer.alloc(4)]);
}

export const SYNC_MESSAGE = message('S', []);

/**
 * Gives a session's prepared statements and portals names of its own:
 * PGlite is a single backend, so every connection shares one namespace,
 * where a real server gives each connection its own. A non-empty name
 * becomes `<prefix><name>`; the unnamed statement and portal stay unnamed
 * (a session's exchanges never interleave, so it always finds its own).
 * PostgreSQL keeps the first 63 bytes of a name: the prefix is short.
 */
export function withSessionNames(type: string, bytes: Buffer, prefix: string): Buffer {
  switch (type) {
    case 'P': // Parse: statement name, query, parameter types
    case 'E': // Execute: portal name, row limit
      return renameFields(bytes, 5, 1, prefix);
    case 'B': // Bind: portal name, statement name, then the parameters
      return renameFields(bytes, 5, 2, prefix);
    case 'D': // Describe and Close: 'S' or 'P', then the name
    case 'C':
      return renameFields(bytes, 6, 1, prefix);
    default:
      return bytes;
  }
}

/** The name a Parse (`P`) message gives its statement, and its SQL. */
export function parsedStatement(bytes: Buffer): { name: string; sql: string } {
  const name = cString(bytes, 5);
  return { name: name.value, sql: cString(bytes, name.end).value };
}

/** The name a Close (`C`) message closes, when it closes a statement (not a portal). */
export function closedStatement(bytes: Buffer): string | undefined {
  return bytes[5] === 0x53 /* 'S' */ ? cString(bytes, 6).value : undefined;
}

/** The SQL of a simple Query (`Q`) message. */
export function querySql(bytes: Buffer): string {
  return cString(bytes, 5).value;
}

export type ListenChange = { listen: string } | { unlisten: string } | { unlistenAll: true };

/**
 * LISTEN and UNLISTEN statements in a piece of SQL, with the channel as
 * PostgreSQL names it (unquoted identifiers fold to lower case). Statements
 * are split at semicolons, which is all that LISTEN's simple syntax needs;
 * one hidden in a function body or a string is not seen.
 */
export function listenChanges(sql: string): ListenChange[] {
  const changes: ListenChange[] = [];
  for (const statement of sql.split(';')) {
    const match = /^\s*(UNLISTEN|LISTEN)\s+(\*|"(?:[^"]|"")+"|[\p{L}_][\p{L}\p{N}_$]*)\s*$/iu.exec(statement);
    if (!match) continue;
    const [, verb, target] = match;
    if (target === '*') {
      if (verb.toUpperCase() === 'UNLISTEN') changes.push({ unlistenAll: true });
      continue;
    }
    const channel = target.startsWith('"') ? target.slice(1, -1).replace(/""/g, '"') : target.toLowerCase();
    changes.push(verb.toUpperCase() === 'LISTEN' ? { listen: channel } : { unlisten: channel });
  }
  return changes;
}

/** Quotes a channel name for a statement of the server's own. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function renameFields(bytes: Buffer, start: number, count: number, prefix: string): Buffer {
  const parts: Buffer[] = [bytes.subarray(5, start)];
  let offset = start;
  for (let i = 0; i < count; i++) {
    const field = cString(bytes, offset);
    parts.push(cStringBytes(field.value === '' ? '' : prefix + field.value));
    offset = field.end;
  }
  parts.push(bytes.subarray(offset));
  return message(String.fromCharCode(bytes[0]), parts);
}

function message(type: string, parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

function cString(bytes: Buffer, start: number): { value: string; end: number } {
  const nul = bytes.indexOf(0, start);
  if (nul < 0) throw new Error('malformed message: a string without its terminating zero byte');
  return { value: bytes.toString('utf8', start, nul), end: nul + 1 };
}

function cStringBytes(value: string): Buffer {
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.alloc(1)]);
}
