import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonProcess, freePort, getJson, invoiceBody, jobIdOf, postJson, spawnNode, waitFor, workoutBody } from '../support';

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

  async function start(): Promise<BatonProcess> {
    const child = spawnNode(STANDALONE_MAIN, { PORT: String(port), BATON_DATA_DIR: dataDir, WORKER_CONCURRENCY: '1', LOG_LEVEL: 'info' });
    baton = new BatonProcess(child, `http://127.0.0.1:${port}`);
    await baton.waitUntilReady(60_000);
    return baton;
  }

  async function finished(jobId: string): Promise<any> {
    return waitFor(
      `job ${jobId} to complete`,
      async () => {
        const { body } = await getJson(`${baton!.url}/v1/jobs/${jobId}`);
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

  it('completes a workout job and an invoice job, PDF included', async () => {
    const workout = await finished(await jobIdOf(await postJson(`${baton!.url}/v1/workouts`, workoutBody())));
    const saved = await getJson(`${baton!.url}/v1/workouts/${workout.result.workoutId}`);
    expect(saved.status).toBe(200);
    expect(saved.body.sets).toEqual([
      { exercise: 'squat', reps: 5, weightKg: 100 },
      { exercise: 'lunge', reps: 12, weightKg: null },
    ]);

    const invoice = await finished(await jobIdOf(await postJson(`${baton!.url}/v1/invoices`, invoiceBody())));
    const stored = await getJson(`${baton!.url}/v1/invoices/${invoice.result.invoiceId}`);
    expect(stored.body).toEqual(expect.objectContaining({ subtotalCents: 15897, taxCents: 3179, totalCents: 19076 }));
    const pdf = await fetch(`${baton!.url}${invoice.result.pdfUrl}`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  }, 90_000);

  it('loses no accepted job when the process is killed, and does none twice', async () => {
    // Long invoices render slowly, one at a time: most are still queued when the process dies.
    const lines = Array.from({ length: 200 }, (_, i) => ({ description: `Line ${i}`, quantity: 1 + (i % 7), unitPriceCents: 100 + i }));
    const accepted: string[] = [];
    for (let i = 0; i < 25; i++) {
      const response = await postJson(`${baton!.url}/v1/invoices`, invoiceBody({ orderId: `killed-${i}`, lines }));
      expect(response.status).toBe(202);
      accepted.push(await jobIdOf(response));
    }
    const before = await Promise.all(accepted.map(async (id) => (await getJson(`${baton!.url}/v1/jobs/${id}`)).body.status));
    expect(before.filter((status) => status !== 'completed').length).toBeGreaterThan(0);
    expect(await baton!.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    await start();
    const results = await Promise.all(accepted.map((id) => finished(id)));
    const invoiceIds = results.map((job) => job.result.invoiceId);
    expect(new Set(invoiceIds).size).toBe(accepted.length);
    for (const [index, invoiceId] of invoiceIds.entries()) {
      const invoice = await getJson(`${baton!.url}/v1/invoices/${invoiceId}`);
      expect(invoice.body.orderId).toBe(`killed-${index}`);
    }
  }, 180_000);

  it('stops cleanly on SIGTERM and keeps its data for the next start', async () => {
    const jobId = await jobIdOf(await postJson(`${baton!.url}/v1/workouts`, workoutBody({ userId: 'kept' })));
    await finished(jobId);
    expect(await baton!.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await start();
    const job = await getJson(`${baton!.url}/v1/jobs/${jobId}`);
    expect(job.body.status).toBe('completed');
  }, 90_000);
});
