// A real SMTP server (nodemailer's smtp-server) in a process of its own, for
// the mail tests: started, stopped and restarted like a mail relay, its
// mailbox a directory of .eml files that outlives it.
//
//   node smtp-server-process.mjs --mailbox DIR [--port N] [--starttls]
//
// stdout, one JSON object a line:
//   {"listening":{"port":N}}        once, when it accepts connections
//   {"stored":"NAME.eml"}           each message, once its file is complete
//   {"done":ID}                     a command of that id has taken effect
// stdin, one JSON command a line (each with an "id" to answer with "done"):
//   {"id":1,"refuse":{"pattern":"^bounce@","code":550,"message":"5.1.1 mailbox unavailable"}}
//       RCPT TO an address matching the pattern (case-insensitive) gets that reply
//   {"id":2,"delay":{"ms":2000}}     wait that long before answering each message's DATA
//   {"id":3,"reset":true}            no refusals, no delay
// It exits when stdin ends, so that it never outlives the test that started it.
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';

const { values: options } = parseArgs({
  options: { mailbox: { type: 'string' }, port: { type: 'string', default: '0' }, starttls: { type: 'boolean', default: false } },
});
if (!options.mailbox) {
  process.stderr.write('usage: smtp-server-process.mjs --mailbox DIR [--port N] [--starttls]\n');
  process.exit(2);
}

const report = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

let refusals = [];
let delayMs = 0;
let sequence = 0;

const server = new SMTPServer({
  authOptional: true,
  // STARTTLS with smtp-server's built-in self-signed certificate for
  // localhost: what a client that verifies certificates must not accept.
  disabledCommands: options.starttls ? [] : ['STARTTLS'],
  logger: false,
  // No reverse DNS lookup of each client: the tests' timings must not hang
  // on the machine's resolver (it waits up to 1.5 s per connection).
  disableReverseLookup: true,
  onRcptTo(address, _session, callback) {
    const refusal = refusals.find((rule) => rule.pattern.test(address.address));
    if (!refusal) return callback();
    const error = new Error(refusal.message);
    error.responseCode = refusal.code;
    return callback(error);
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('error', callback);
    stream.on('end', async () => {
      try {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        const name = await store(Buffer.concat(chunks), session.envelope);
        report({ stored: name });
        callback(null, `2.0.0 stored as ${name}`);
      } catch (error) {
        callback(error);
      }
    });
  },
});

// Named so that they sort in arrival order, across restarts too; written
// under a temporary name and renamed, so that a reader never sees half a
// message. The envelope goes beside it first.
async function store(message, envelope) {
  sequence += 1;
  const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${String(sequence).padStart(6, '0')}`;
  const partial = join(options.mailbox, `${name}.${randomBytes(4).toString('hex')}.partial`);
  const recipients = envelope.rcptTo.map((recipient) => recipient.address);
  await writeFile(join(options.mailbox, `${name}.envelope.json`), JSON.stringify({ from: envelope.mailFrom ? envelope.mailFrom.address : '', to: recipients }));
  await writeFile(partial, message);
  await rename(partial, join(options.mailbox, `${name}.eml`));
  return `${name}.eml`;
}

function apply(command) {
  if (command.refuse) {
    const { pattern, code, message } = command.refuse;
    refusals.push({ pattern: new RegExp(pattern, 'i'), code, message });
  }
  if (command.delay) delayMs = command.delay.ms;
  if (command.reset) {
    refusals = [];
    delayMs = 0;
  }
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() === '') return;
    const command = JSON.parse(line);
    apply(command);
    report({ done: command.id });
  })
  .on('close', () => process.exit(0));

let listening = false;
server.on('error', (error) => {
  process.stderr.write(`smtp server: ${error.stack ?? error}\n`);
  // Before it listens (the port is taken), the server cannot serve; after,
  // an error is one client's connection (a test's client timing out), not the server's.
  if (!listening) process.exit(1);
});
server.listen(Number(options.port), '127.0.0.1', () => {
  listening = true;
  report({ listening: { port: server.server.address().port } });
});
