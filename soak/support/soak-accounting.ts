import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChaosDatabase } from '../../chaos/support/chaos-database';
import { measure } from '../../chaos/support/measurement';
import { WebhookReceiver } from '../../test/support/webhook-receiver';
import { LoadKind, MixedLoad } from './mixed-load';

/** What became of one kind of work, counted from PostgreSQL rows and what the test servers received. */
export interface Account {
  kind: LoadKind | 'webhooks';
  accepted: number;
  completed: number;
  lost: number;
  appliedTwice: number;
  notes: string[];
  problems: string[];
}

const SHOWN = 3;

/** The account of jobs `ids` accepted, of which `lost` did not end with their one effect. */
function jobAccount(kind: LoadKind, ids: string[], lost: string[], appliedTwice: number, notes: string[], problems: string[]): Account {
  return { kind, accepted: ids.length, completed: ids.length - lost.length, lost: lost.length, appliedTwice, notes, problems };
}

/** Workouts: the chaos suite's own measurement (a workout with every set per job, one per request). */
async function workouts(db: ChaosDatabase, load: MixedLoad): Promise<Account> {
  const submissions = load.submissions.filter((submission) => submission.type === 'workouts');
  const m = await measure(db, submissions);
  const notes = m.rerun > 0 ? [`${m.rerun} delivered more than once (up to ${m.maxAttempts} attempts)`] : [];
  return { kind: 'workouts', accepted: m.accepted, completed: m.completed, lost: m.lost, appliedTwice: m.appliedTwice, notes, problems: m.problems };
}

/** Invoices: each accepted job completed with its invoice row; no order (one per request) invoiced twice. */
async function invoices(db: ChaosDatabase, load: MixedLoad): Promise<Account> {
  const ids = load.accepted('invoices').map((submission) => submission.jobId!);
  const rows = await db.query<{ id: string; status: string; invoices: number }>(
    `SELECT j.id::text, j.status, count(i.id)::int AS invoices FROM jobs j LEFT JOIN invoices i ON i.job_id = j.id WHERE j.id = ANY($1::uuid[]) GROUP BY j.id`,
    [ids],
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const lost = ids.filter((id) => byId.get(id)?.status !== 'completed' || byId.get(id)!.invoices !== 1);
  const twice = await db.query<{ order_id: string; copies: number }>(`SELECT order_id, count(*)::int AS copies FROM invoices GROUP BY order_id HAVING count(*) > 1`);
  return jobAccount('invoices', ids, lost, twice.length, [], [
    ...lost.slice(0, SHOWN).map((id) => `invoice job ${id} is ${byId.get(id)?.status ?? 'missing'} with ${byId.get(id)?.invoices ?? 0} invoice(s)`),
    ...twice.slice(0, SHOWN).map((row) => `order ${row.order_id} invoiced ${row.copies} times`),
  ]);
}

/**
 * Emails: each accepted job completed and its message (Message-ID
 * `<jobId@…>`) in the SMTP server's mailbox; a message received more than
 * once is applied twice. The soak restarts workers gracefully only, so the
 * chaos suite's window for a SIGKILLed sender does not apply.
 */
async function emails(db: ChaosDatabase, load: MixedLoad, mailbox: string): Promise<Account> {
  const ids = load.accepted('emails').map((submission) => submission.jobId!);
  const copies = new Map<string, number>();
  for (const file of (await readdir(mailbox)).filter((name) => name.endsWith('.eml'))) {
    const head = (await readFile(join(mailbox, file), 'utf8')).split(/\r?\n\r?\n/, 1)[0];
    const messageId = /^message-id:\s*<([^@>]+)@/im.exec(head)?.[1];
    if (messageId) copies.set(messageId, (copies.get(messageId) ?? 0) + 1);
  }
  const rows = await db.query<{ id: string; status: string }>(`SELECT id::text, status FROM jobs WHERE id = ANY($1::uuid[])`, [ids]);
  const status = new Map(rows.map((row) => [row.id, row.status]));
  const lost = ids.filter((id) => status.get(id) !== 'completed' || !copies.has(id));
  const twice = ids.filter((id) => (copies.get(id) ?? 0) > 1);
  return jobAccount('emails', ids, lost, twice.length, [`${[...copies.values()].reduce((sum, count) => sum + count, 0)} messages received`], [
    ...lost.slice(0, SHOWN).map((id) => `email job ${id} is ${status.get(id) ?? 'missing'}, ${copies.has(id) ? 'its message received' : 'no message received'}`),
    ...twice.slice(0, SHOWN).map((id) => `email of job ${id} received ${copies.get(id)} times`),
  ]);
}

/**
 * Webhooks: every completed job's `job.completed` POSTed to the receiver,
 * every delivery `succeeded`. Applied twice: a job with more than one
 * job.completed event, or POSTed under more than one webhook-id; the same
 * delivery POSTed again (one webhook-id) is at-least-once and only noted.
 */
async function webhooks(db: ChaosDatabase, receiver: WebhookReceiver, path: string): Promise<Account> {
  const completed = (await db.query<{ id: string }>(`SELECT id::text FROM jobs WHERE status = 'completed'`)).map((row) => row.id);
  const idsByJob = new Map<string, string[]>();
  const requests = receiver.requestsTo(path);
  for (const request of requests) {
    const jobId = (JSON.parse(request.body) as { jobId?: string }).jobId;
    if (jobId) idsByJob.set(jobId, [...(idsByJob.get(jobId) ?? []), String(request.headers['webhook-id'])]);
  }
  const missing = completed.filter((id) => !idsByJob.has(id));
  const deliveries = await db.query<{ status: string; count: number }>(`SELECT status, count(*)::int AS count FROM webhook_deliveries GROUP BY status`);
  const unsucceeded = deliveries.filter((row) => row.status !== 'succeeded').reduce((sum, row) => sum + row.count, 0);
  const events = await db.query<{ job_id: string }>(`SELECT job_id::text FROM events WHERE type = 'job.completed' GROUP BY job_id HAVING count(*) > 1`);
  const split = [...idsByJob].filter(([, ids]) => new Set(ids).size > 1).map(([jobId]) => jobId);
  const twice = new Set([...events.map((row) => row.job_id), ...split]);
  const repeated = [...idsByJob.values()].reduce((sum, ids) => sum + ids.length - 1, 0);
  return {
    kind: 'webhooks',
    accepted: completed.length,
    completed: completed.length - missing.length,
    lost: missing.length + unsucceeded,
    appliedTwice: twice.size,
    notes: [`${requests.length} POSTs, ${repeated} repeated under one webhook-id`, `deliveries: ${deliveries.map((row) => `${row.count} ${row.status}`).join(', ')}`],
    problems: [
      ...missing.slice(0, SHOWN).map((id) => `completed job ${id} never had its job.completed webhook`),
      ...(unsucceeded > 0 ? [`${unsucceeded} webhook deliveries not succeeded`] : []),
      ...[...twice].slice(0, SHOWN).map((id) => `job ${id}: more than one job.completed event or webhook-id`),
    ],
  };
}

export async function account(db: ChaosDatabase, load: MixedLoad, mailbox: string, receiver: WebhookReceiver, webhookPath: string): Promise<Account[]> {
  return [await workouts(db, load), await invoices(db, load), await emails(db, load, mailbox), await webhooks(db, receiver, webhookPath)];
}
