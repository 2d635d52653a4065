import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, BatonProcess, freePort, getJson, invoiceBody, jobIdOf, postJson, spawnNode, waitFor, workoutBody } from '../support';

/** The development key a standalone process printed at start. */
function developmentKeyIn(logs: string): string | undefined {
  return /Development API key[^\n]*\n\n {2}(\S+)\n/.exec(logs)?.[1];
}

const STANDALONE_MAIN = join(__dirname, '..', '..', 'dist/apps/standalone/src/main.js');

/**
 * `npm start` with neither DATABASE_URL nor RABBITMQ_URL: API and workers in
 * one process on an embedded PostgreSQL (PGlite) and the in-process queue.
 * Needs no service at all, so it runs whatever the machine has.
 */
describe('standalone process on the embedded parts', () => {
  let dataDir: string;
  let port: number;
  let baton: BatonProcess | undefined;
  /** The development key of the first start, which later starts print again. */
  let key: string;
  const auth = () => bearer(key);

  async function start(): Promise<BatonProcess> {
    const child = spawnNode(STANDALONE_MAIN, { PORT: String(port), BATON_DATA_DIR: dataDir, WORKER_CONCURRENCY: '1', LOG_LEVEL: 'info' });
    baton = new BatonProcess(child, `http://127.0.0.1:${port}`);
    await baton.waitUntilReady(60_000);
    // The key is printed just after the process starts serving.
    const printed = await waitFor('the development key to be printed', async () => developmentKeyIn(baton!.logs), 10_000, 50);
    key ??= printed;
    expect(printed).toBe(key);
    return baton;
  }

  async function finished(jobId: string): Promise<any> {
    return waitFor(
      `job ${jobId} to complete`,
      async () => {
        const { body } = await getJson(`${baton!.url}/v1/jobs/${jobId}`, auth());
        if (body?.status === 'dead') throw new Error(`job ${jobId} is dead: ${body.error}`);
        return body?.status === 'completed' ? body : undefined;
      },
      60_000,
      100,
    );
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'baton-standalone-'));
    port = await freePort();
  });

  afterAll(async () => {
    await baton?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says at start which embedded parts it uses, that they are for development, and which variables switch', async () => {
    await start();
    const banner = baton!.logs.split('\n').find((line) => line.includes('Baton standalone'));
    expect(banner).toBeDefined();
    expect(banner).toContain('embedded PGlite');
    expect(banner).toContain(dataDir);
    expect(banner).toContain('in-process');
    expect(banner).toContain('development only');
    expect(banner).toContain('DATABASE_URL');
    expect(banner).toContain('RABBITMQ_URL');
  }, 90_000);

  it('creates a development key on first start and prints it with a curl example that works as printed', async () => {
    expect(key).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
    expect(baton!.logs).toContain(`-H 'Authorization: Bearer ${key}'`);
    // Printed on stderr for the developer; stdout, the JSON log lines, never carries it.
    expect(baton!.stdout).not.toContain(key);
    // The printed curl example, run as printed (its body and headers), is accepted.
    const body = /-d '(\{.*\})'/.exec(baton!.logs)![1];
    const answer = await postJson(`${baton!.url}/v1/workouts`, JSON.parse(body), auth());
    expect(answer.status).toBe(202);
    expect((await getJson(`${baton!.url}/v1/jobs/${randomUUID()}`, auth())).status).toBe(404);
    expect((await getJson(`${baton!.url}/v1/jobs/${randomUUID()}`, { authorization: 'Bearer nope' })).status).toBe(401);
    const { mode } = statSync(join(dataDir, 'development-api-key'));
    expect(mode & 0o077).toBe(0);
  }, 90_000);

  it('completes a workout job and an invoice job, PDF included', async () => {
    const workout = await finished(await jobIdOf(await postJson(`${baton!.url}/v1/workouts`, workoutBody(), auth())));
    const saved = await getJson(`${baton!.url}/v1/workouts/${workout.result.workoutId}`, auth());
    expect(saved.status).toBe(200);
    expect(saved.body.sets).toEqual([
      { exercise: 'squat', reps: 5, weightKg: 100 },
      { exercise: 'lunge', reps: 12, weightKg: null },
    ]);

    const invoice = await finished(await jobIdOf(await postJson(`${baton!.url}/v1/invoices`, invoiceBody(), auth())));
    const stored = await getJson(`${baton!.url}/v1/invoices/${invoice.result.invoiceId}`, auth());
    expect(stored.body).toEqual(expect.objectContaining({ subtotalCents: 15897, taxCents: 3179, totalCents: 19076 }));
    const pdf = await fetch(`${baton!.url}${invoice.result.pdfUrl}`, { headers: auth() });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  }, 90_000);

  it('loses no accepted job when the process is killed, and does none twice', async () => {
    // Long invoices render slowly, one at a time: most are still queued when the process dies.
    const lines = Array.from({ length: 200 }, (_, i) => ({ description: `Line ${i}`, quantity: 1 + (i % 7), unitPriceCents: 100 + i }));
    // Sent all at once, so that they are accepted faster than one worker renders them.
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => postJson(`${baton!.url}/v1/invoices`, invoiceBody({ orderId: `killed-${i}`, lines }), auth())),
    );
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 202));
    const accepted = await Promise.all(responses.map((response) => jobIdOf(response)));
    const before = await Promise.all(accepted.map(async (id) => (await getJson(`${baton!.url}/v1/jobs/${id}`, auth())).body.status));
    expect(before.filter((status) => status !== 'completed').length).toBeGreaterThan(0);
    expect(await baton!.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    await start();
    const results = await Promise.all(accepted.map((id) => finished(id)));
    const invoiceIds = results.map((job) => job.result.invoiceId);
    expect(new Set(invoiceIds).size).toBe(accepted.length);
    for (const [index, invoiceId] of invoiceIds.entries()) {
      const invoice = await getJson(`${baton!.url}/v1/invoices/${invoiceId}`, auth());
      expect(invoice.body.orderId).toBe(`killed-${index}`);
    }
  }, 180_000);

  it('stops cleanly on SIGTERM and keeps its data for the next start', async () => {
    const jobId = await jobIdOf(await postJson(`${baton!.url}/v1/workouts`, workoutBody({ userId: 'kept' }), auth()));
    await finished(jobId);
    expect(await baton!.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await start();
    const job = await getJson(`${baton!.url}/v1/jobs/${jobId}`, auth());
    expect(job.body.status).toBe('completed');
  }, 90_000);
});
