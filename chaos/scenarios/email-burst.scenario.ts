import { TEST_API_KEY } from '../../test/support/api-keys';
import { TestSmtpServer } from '../../test/support/smtp-server';
import { FaultReport, LoadSize, ScenarioDefinition } from '../support/scenario';

interface EmailBurstSize extends LoadSize {
  workers: number;
  concurrency: number;
  emails: number;
  /** The server takes this long to answer each message's DATA, so that a kill lands while emails are being sent. */
  serverDelayMs: number;
  /** The kill comes once the server has received a number of emails drawn in this range. */
  killAfter: [number, number];
}

const MAIL_FROM = 'Chaos Shop <shop@example.com>';

/** The SMTP server of the running scenario (one at a time). */
let smtp: TestSmtpServer | undefined;
let jobIds: string[] = [];

/**
 * 7. A worker SIGKILLed in the middle of a burst of emails, on an SMTP server
 * of the scenario's own. Every email must reach the server; the only
 * duplicates allowed are those of the stated window, emails the server
 * accepted before the killed worker could commit their job: at most the
 * jobs that worker had in flight. They are counted and printed.
 */
export const emailBurst: ScenarioDefinition<EmailBurstSize> = {
  id: 7,
  title: 'a worker SIGKILLed mid-burst of emails',
  slug: 'email-burst',
  sizes: {
    quick: { workers: 2, concurrency: 4, emails: 200, serverDelayMs: 40, killAfter: [40, 120], rate: 20, jobs: 100, leadMs: 500, tailMs: 500 },
    full: { workers: 3, concurrency: 8, emails: 1000, serverDelayMs: 40, killAfter: [150, 700], rate: 40, jobs: 400, leadMs: 1000, tailMs: 1000 },
  },
  async prepare(size) {
    jobIds = [];
    smtp = await TestSmtpServer.start();
    await smtp.delay(size.serverDelayMs);
    return {
      env: { DISABLED_JOB_TYPES: '', SMTP_URL: smtp.url, MAIL_FROM, WORKER_CONCURRENCY: String(size.concurrency) },
      close: async () => {
        await smtp?.close();
        smtp = undefined;
      },
    };
  },
  stage: (size) => ({ apis: 1, workers: size.workers }),
  async fault(stage, size, random): Promise<FaultReport> {
    const server = smtp!;
    const api = stage.apis.pickServing((items) => items[0]);
    if (!api) return { notes: [], failures: ['no API to send the emails to'] };
    const answers = await Promise.all(
      Array.from({ length: size.emails }, async (_, index) => {
        const response = await fetch(`${api}/v1/emails`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: `customer-${index}@example.com`, template: 'welcome', data: { name: `Customer ${index}` } }),
        });
        return { status: response.status, body: (await response.json()) as { jobId?: string } };
      }),
    );
    const refused = answers.filter((answer) => answer.status !== 202);
    jobIds = answers.flatMap((answer) => (answer.body.jobId ? [answer.body.jobId] : []));
    const killAfter = random.int(...size.killAfter);
    await server.waitForMessages(killAfter, 60_000);
    const ready = (await Promise.all(stage.workers.members.map(async (member) => ((await member.process.isReady()) ? [member] : [])))).flat();
    const victim = random.pick(ready.length > 0 ? ready : stage.workers.members);
    await stage.workers.kill(victim.slot, 'SIGKILL');
    await Promise.all(stage.workers.members.map((member) => member.ready));
    return {
      notes: [`${size.emails} emails, ${victim.name} SIGKILLed after ${killAfter} had reached the server`],
      failures: refused.length > 0 ? [`${refused.length} email request(s) not accepted: ${[...new Set(refused.map((answer) => answer.status))].join(', ')}`] : [],
    };
  },
  async verify(stage, size): Promise<FaultReport> {
    const received = await smtp!.messages();
    const copies = new Map<string, number>();
    for (const email of received) if (email.messageId) copies.set(email.messageId, (copies.get(email.messageId) ?? 0) + 1);
    const expected = jobIds.map((jobId) => `<${jobId}@example.com>`);
    const missing = expected.filter((messageId) => !copies.has(messageId));
    const duplicates = expected.reduce((sum, messageId) => sum + Math.max(0, (copies.get(messageId) ?? 0) - 1), 0);
    // The window: what the killed worker had sent and not yet committed, at most its concurrency.
    const allowed = size.concurrency;
    const [{ completed }] = await stage.db.query<{ completed: number }>(`SELECT count(*)::int AS completed FROM jobs WHERE type = 'emails' AND status = 'completed'`);
    const failures: string[] = [];
    if (missing.length > 0) failures.push(`${missing.length} of ${expected.length} emails never reached the server (first: ${missing[0]})`);
    if (duplicates > allowed) failures.push(`${duplicates} duplicate emails, more than the ${allowed} the window allows`);
    if (completed !== expected.length) failures.push(`${completed} of ${expected.length} email jobs completed`);
    return { notes: [`emails: ${copies.size} distinct of ${expected.length} received, ${duplicates} duplicate(s) (window allows ≤ ${allowed})`], failures };
  },
};
