import { ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AddressObject, simpleParser } from 'mailparser';

const SCRIPT = join(__dirname, 'smtp-server-process.mjs');
const START_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 5_000;

/** An email as a mail client reads it: an .eml file parsed with mailparser. */
export interface ParsedEmail {
  raw: Buffer;
  /** Every header, by lower-case name, as mailparser reads it. */
  headers: Map<string, unknown>;
  messageId: string | undefined;
  /** The addresses of the From header. */
  from: string[];
  /** The addresses of the To headers. */
  to: string[];
  subject: string | undefined;
  html: string | undefined;
  text: string | undefined;
  attachments: Array<{ filename: string | undefined; contentType: string; content: Buffer }>;
}

/** An email the test SMTP server received, with the envelope it came in. */
export interface ReceivedEmail extends ParsedEmail {
  /** Its file in the server's mailbox. */
  file: string;
  /** MAIL FROM and RCPT TO, which may differ from the headers. */
  envelope: { from: string; to: string[] };
}

export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  const parsed = await simpleParser(raw);
  const addresses = (field: AddressObject | AddressObject[] | undefined): string[] =>
    [field ?? []].flat().flatMap((header) => header.value.map((entry) => entry.address ?? ''));
  return {
    raw,
    headers: parsed.headers,
    messageId: parsed.messageId,
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    subject: parsed.subject,
    html: parsed.html === false ? undefined : parsed.html,
    text: parsed.text,
    attachments: parsed.attachments.map(({ filename, contentType, content }) => ({ filename, contentType, content })),
  };
}

export interface TestSmtpServerOptions {
  /** Offer STARTTLS with smtp-server's self-signed certificate (off by default). */
  starttls?: boolean;
}

/** A test command, as test/support/smtp-server-process.mjs reads it. */
type ServerCommand = { refuse: { pattern: string; code: number; message: string } } | { delay: { ms: number } } | { reset: true };

type ServerEvent = { listening: { port: number } } | { stored: string } | { done: number };

/**
 * A real SMTP server (smtp-server) in a child process, as a mail relay looks
 * to Baton: it can refuse recipients, answer slowly, be stopped (connections
 * are then refused) and restarted on the same port with the same mailbox.
 * Each message it accepts is an .eml file in its mailbox, a temporary
 * directory that close() removes.
 */
export class TestSmtpServer {
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private listeningPort?: number;
  private stderr = '';
  private storedCount = 0;
  private commandCount = 0;
  private readonly events = new EventEmitter();
  // Refusals and delays stay in force across a restart, as a relay's configuration would.
  private readonly standing: ServerCommand[] = [];

  private constructor(
    /** The directory its messages are stored in. */
    readonly mailbox: string,
    private readonly options: TestSmtpServerOptions,
  ) {}

  static async start(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
    const server = new TestSmtpServer(await mkdtemp(join(tmpdir(), 'baton-smtp-')), options);
    try {
      await server.launch(0);
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  }

  get port(): number {
    if (this.listeningPort === undefined) throw new Error('the test SMTP server has not started');
    return this.listeningPort;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** From now on, RCPT TO an address matching `pattern` is answered `code message` (550 `5.1.1 mailbox unavailable`). */
  async refuse(pattern: RegExp | string, code: number, message: string): Promise<void> {
    await this.standingCommand({ refuse: { pattern: typeof pattern === 'string' ? pattern : pattern.source, code, message } });
  }

  /** From now on, each message's DATA is answered `ms` milliseconds after it arrives. */
  async delay(ms: number): Promise<void> {
    await this.standingCommand({ delay: { ms } });
  }

  /** No refusals, no delay. */
  async reset(): Promise<void> {
    this.standing.length = 0;
    await this.send({ reset: true });
  }

  /** Every message received so far, restarts included, in the order they arrived. */
  async messages(): Promise<ReceivedEmail[]> {
    return Promise.all((await this.messageFiles()).map((file) => this.read(file)));
  }

  /** The messages once there are at least `count`; fails after `timeoutMs` saying how many there are. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<ReceivedEmail[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.storedCount;
      const files = await this.messageFiles();
      if (files.length >= count) return Promise.all(files.map((file) => this.read(file)));
      if (!(await this.storedSince(seen, deadline))) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} messages; the mailbox holds ${files.length}`);
      }
    }
  }

  /** Ends the server process and waits for it: from then on connections are refused. */
  async stop(): Promise<void> {
    if (this.running) this.child!.kill('SIGTERM');
    await this.exited;
  }

  /** Starts the server again on the same port, with the same mailbox, refusals and delay. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch(this.port);
    for (const command of this.standing) await this.send(command);
  }

  /** Stops the server and removes its mailbox. */
  async close(): Promise<void> {
    await this.stop();
    await rm(this.mailbox, { recursive: true, force: true });
  }

  private async launch(port: number): Promise<void> {
    const args = [SCRIPT, '--mailbox', this.mailbox, '--port', String(port), ...(this.options.starttls ? ['--starttls'] : [])];
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.stderr = '';
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdin!.on('error', () => undefined); // a child that died is reported by 'exit'
    child.stderr!.on('data', (chunk) => (this.stderr += chunk));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.onEvent(JSON.parse(line) as ServerEvent);
      } catch {
        this.stderr += `${line}\n`; // not an event: kept with its diagnostics
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      new Promise<number>((resolve) => this.events.once('listening', resolve)),
      this.exited.then(() => new Error(`the test SMTP server exited on start:\n${this.stderr}`)),
      new Promise<Error>((resolve) => {
        timer = setTimeout(() => resolve(new Error(`the test SMTP server did not listen within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (outcome instanceof Error) {
      this.events.removeAllListeners('listening');
      await this.stop();
      throw outcome;
    }
    this.listeningPort = outcome;
  }

  private onEvent(event: ServerEvent): void {
    if ('listening' in event) this.events.emit('listening', event.listening.port);
    if ('stored' in event) {
      this.storedCount += 1;
      this.events.emit('stored');
    }
    if ('done' in event) this.events.emit(`done:${event.done}`);
  }

  private async standingCommand(command: ServerCommand): Promise<void> {
    this.standing.push(command);
    await this.send(command);
  }

  /** Sends a command and waits until the server says it has taken effect. */
  private async send(command: ServerCommand): Promise<void> {
    if (!this.running) throw new Error('the test SMTP server is stopped: restart it first');
    const id = ++this.commandCount;
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), COMMAND_TIMEOUT_MS);
      this.events.once(`done:${id}`, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    this.child!.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    if (!(await done)) {
      this.events.removeAllListeners(`done:${id}`);
      throw new Error(`the test SMTP server did not take ${JSON.stringify(command)} within ${COMMAND_TIMEOUT_MS} ms:\n${this.stderr}`);
    }
  }

  /** True once a message is stored after the `seen`th, false at `deadline`. */
  private storedSince(seen: number, deadline: number): Promise<boolean> {
    if (this.storedCount > seen) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onStored = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.events.removeListener('stored', onStored);
        resolve(false);
      }, Math.max(deadline - Date.now(), 0));
      this.events.once('stored', onStored);
    });
  }

  private async messageFiles(): Promise<string[]> {
    return (await readdir(this.mailbox)).filter((name) => name.endsWith('.eml')).sort();
  }

  private async read(file: string): Promise<ReceivedEmail> {
    const [raw, envelope] = await Promise.all([
      readFile(join(this.mailbox, file)),
      readFile(join(this.mailbox, file.replace(/\.eml$/, '.envelope.json')), 'utf8'),
    ]);
    return { ...(await parseEmail(raw)), file, envelope: JSON.parse(envelope) as ReceivedEmail['envelope'] };
  }
}
