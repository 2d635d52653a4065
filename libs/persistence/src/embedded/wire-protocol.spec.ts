import { serialize } from 'pg-protocol';
import {
  backendMessages,
  closedStatement,
  FrontendMessage,
  FrontendReader,
  listenChanges,
  notificationChannel,
  parsedStatement,
  querySql,
  withSessionNames,
} from './wire-protocol';

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

function readAll(...chunks: Buffer[]): FrontendMessage[] {
  const reader = new FrontendReader();
  const messages: FrontendMessage[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    let message: FrontendMessage | undefined;
    while ((message = reader.next()) !== undefined) messages.push(message);
  }
  return messages;
}

/** The C strings of a message's body, in order (the rest of the body ignored). */
function strings(message: Buffer, from: number, count: number): string[] {
  const found: string[] = [];
  let offset = from;
  for (let i = 0; i < count; i++) {
    const end = message.indexOf(0, offset);
    found.push(message.toString('utf8', offset, end));
    offset = end + 1;
  }
  return found;
}

describe(FrontendReader.name, () => {
  it('reads an SSL request, then the startup message, then typed messages', () => {
    const startup = serialize.startup({ user: 'postgres', database: 'postgres' });
    const query = serialize.query('SELECT 1');
    const kinds = readAll(Buffer.concat([SSL_REQUEST, startup, query])).map((message) => (message.kind === 'message' ? message.type : message.kind));
    expect(kinds).toEqual(['encryption-request', 'startup', 'Q']);
  });

  it('waits for a message cut across chunks, byte by byte', () => {
    const bytes = Buffer.concat([serialize.startup({ user: 'postgres' }), serialize.parse({ name: 'a', text: 'SELECT $1' }), serialize.sync()]);
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    const messages = readAll(...chunks);
    expect(messages.map((message) => (message.kind === 'message' ? message.type : message.kind))).toEqual(['startup', 'P', 'S']);
    expect(Buffer.concat(messages.map((message) => (message.kind === 'startup' || message.kind === 'message' ? message.bytes : Buffer.alloc(0))))).toEqual(bytes);
  });

  it('recognises a cancel request', () => {
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    expect(readAll(cancel)).toEqual([{ kind: 'cancel-request' }]);
  });
});

describe(withSessionNames.name, () => {
  const prefix = 's7:';

  it.each<[string, Buffer, number, number, string[]]>([
    ['Parse, named', serialize.parse({ name: 'stmt', text: 'SELECT $1', types: [23] }), 5, 2, ['s7:stmt', 'SELECT $1']],
    ['Parse, unnamed', serialize.parse({ text: 'SELECT 1' }), 5, 2, ['', 'SELECT 1']],
    ['Bind, named portal and statement', serialize.bind({ portal: 'p', statement: 'stmt', values: ['1'] }), 5, 2, ['s7:p', 's7:stmt']],
    ['Bind, unnamed', serialize.bind({ values: ['1'] }), 5, 2, ['', '']],
    ['Execute, named portal', serialize.execute({ portal: 'p', rows: 10 }), 5, 1, ['s7:p']],
    ['Describe statement', serialize.describe({ type: 'S', name: 'stmt' }), 6, 1, ['s7:stmt']],
    ['Close portal', serialize.close({ type: 'P', name: 'p' }), 6, 1, ['s7:p']],
  ])('%s', (_, message, from, count, expected) => {
    const renamed = withSessionNames(String.fromCharCode(message[0]), message, prefix);
    expect(strings(renamed, from, count)).toEqual(expected);
    expect(renamed.readInt32BE(1)).toBe(renamed.length - 1);
  });

  it('keeps what follows the names byte for byte', () => {
    const bind = serialize.bind({ portal: '', statement: 'stmt', values: ['42', null, 'ü'], valueMapper: (value) => value });
    const renamed = withSessionNames('B', bind, prefix);
    expect(renamed.subarray(5 + 1 + 'stmt'.length + prefix.length + 1)).toEqual(bind.subarray(5 + 1 + 'stmt'.length + 1));
  });

  it('leaves other messages alone', () => {
    const query = serialize.query('LISTEN x');
    expect(withSessionNames('Q', query, prefix)).toBe(query);
  });

  it('reads back what a Parse prepares and what a Close closes', () => {
    expect(parsedStatement(serialize.parse({ name: 'stmt', text: 'SELECT 1' }))).toEqual({ name: 'stmt', sql: 'SELECT 1' });
    expect(closedStatement(serialize.close({ type: 'S', name: 'stmt' }))).toBe('stmt');
    expect(closedStatement(serialize.close({ type: 'P', name: 'p' }))).toBeUndefined();
    expect(querySql(serialize.query('SELECT 2'))).toBe('SELECT 2');
  });
});

describe(listenChanges.name, () => {
  it.each<[string, ReturnType<typeof listenChanges>]>([
    ['LISTEN baton_api_keys', [{ listen: 'baton_api_keys' }]],
    ['listen Baton_Keys;', [{ listen: 'baton_keys' }]],
    ['LISTEN "Mixed Case"', [{ listen: 'Mixed Case' }]],
    ['LISTEN "with ""quotes"""', [{ listen: 'with "quotes"' }]],
    ['UNLISTEN baton_api_keys', [{ unlisten: 'baton_api_keys' }]],
    ['UNLISTEN *', [{ unlistenAll: true }]],
    ['LISTEN a; LISTEN b; UNLISTEN a', [{ listen: 'a' }, { listen: 'b' }, { unlisten: 'a' }]],
    ["SELECT pg_notify('a', 'LISTEN b')", []],
    ['SELECT 1', []],
    ['LISTEN *', []],
  ])('%s', (sql, expected) => {
    expect(listenChanges(sql)).toEqual(expected);
  });
});

describe(backendMessages.name, () => {
  it('splits an answer into its messages and reads a notification\'s channel', () => {
    const notification = Buffer.concat([Buffer.from('A'), Buffer.alloc(4), Buffer.alloc(4), Buffer.from('chan\0payload\0')]);
    notification.writeInt32BE(notification.length - 1, 1);
    const ready = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
    const messages = backendMessages(Buffer.concat([notification, ready]));
    expect(messages.map((message) => message.type)).toEqual(['A', 'Z']);
    expect(notificationChannel(messages[0].bytes)).toBe('chan');
  });
});
