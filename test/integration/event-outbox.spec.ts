/**
 * The event outbox on the real database: events recorded in the very
 * transaction of the effect they describe (and only when it commits), the
 * webhook deliveries recorded with them for the tenant's subscribed
 * endpoints, and the relay's hand-over, once.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventEnvelope, EventType, JobStatus, jobView } from '@baton/contracts';
import { WorkoutRepository } from '@baton/jobs';
import {
  EventOutboxRepository,
  JobEntity,
  JobExecutionRepository,
  JobOperationsRepository,
  WebhookDeliveryRepository,
  WebhookEndpointRepository,
} from '@baton/persistence';
import { jobFixtures, newWorkout, TENANT } from '../support/job-fixtures';
import { openTestDataSource } from '../support/services';

describe('event outbox (PostgreSQL)', () => {
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  let jobs: JobExecutionRepository;
  let operations: JobOperationsRepository;
  let outbox: EventOutboxRepository;
  let endpoints: WebhookEndpointRepository;
  let deliveries: WebhookDeliveryRepository;
  let workouts: WorkoutRepository;

  beforeAll(async () => {
    ({ ds, close } = await openTestDataSource('baton_event_outbox'));
    jobs = new JobExecutionRepository(ds);
    operations = new JobOperationsRepository(ds);
    outbox = new EventOutboxRepository(ds);
    endpoints = new WebhookEndpointRepository(ds);
    deliveries = new WebhookDeliveryRepository(ds);
    workouts = new WorkoutRepository(ds, jobs);
  });

  afterAll(async () => {
    await close?.();
  });

  beforeEach(async () => {
    await ds.query(`DELETE FROM webhook_endpoints`);
    await ds.query(`DELETE FROM events`);
  });

  const { insertJob } = jobFixtures(() => ds);

  /** Every event the outbox would publish now, oldest first (not marked published). */
  async function owed(): Promise<EventEnvelope[]> {
    let seen: EventEnvelope[] = [];
    await outbox.relayEvents(1000, async (events) => {
      seen = events;
      return [];
    });
    return seen;
  }

  async function stored(id: string): Promise<JobEntity> {
    return (await ds.getRepository(JobEntity).findOneByOrFail({ id }));
  }

  async function endpoint(events: string[], tenant = TENANT, url = `https://hooks.example.com/${randomUUID()}`) {
    const created = await endpoints.create({ tenant, url, events, description: null, secret: 'whsec_c2VjcmV0' });
    return created!;
  }

  describe('a completed job', () => {
    it('records its domain event and job.completed with the effect, in one shape', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, job.type);
      const workout = newWorkout();
      await workouts.saveForJob(job.id, workout);

      const events = await owed();
      expect(events.map((event) => event.type)).toEqual([EventType.WorkoutSaved, EventType.JobCompleted]);
      for (const event of events) {
        expect(event).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          type: expect.any(String),
          timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          tenant: TENANT,
          jobId: job.id,
          correlationId: job.correlationId,
          dataVersion: 1,
          data: expect.any(Object),
        });
      }
      expect(events[0].data).toEqual({
        workoutId: workout.id,
        userId: workout.userId,
        activity: workout.activity,
        startedAt: workout.startedAt,
        durationSec: workout.durationSec,
        workoutUrl: `/v1/workouts/${workout.id}`,
      });
      // The job as GET /v1/jobs/:id shows it, from the same view function.
      expect(events[1].data).toEqual(JSON.parse(JSON.stringify(jobView(await stored(job.id)))));
      expect(events[1].data).toMatchObject({ id: job.id, status: JobStatus.Completed, result: { workoutId: workout.id } });
    });

    it('records nothing when the effect rolls back', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, job.type);
      await expect(
        jobs.completeWith(job.id, async (_sql, _job, events) => {
          events.record(EventType.WorkoutSaved, { workoutId: 'never' });
          throw new Error('effect failed after recording its event');
        }),
      ).rejects.toThrow('effect failed');
      expect(await owed()).toEqual([]);
      expect((await stored(job.id)).status).toBe(JobStatus.Processing);
    });

    it('records nothing for a duplicate delivery of a completed job', async () => {
      const job = await insertJob();
      await jobs.claim(job.id, job.type);
      await workouts.saveForJob(job.id, newWorkout());
      await workouts.saveForJob(job.id, newWorkout());
      expect((await owed()).map((event) => event.type)).toEqual([EventType.WorkoutSaved, EventType.JobCompleted]);
    });
  });

  it('records job.dead when the last attempt fails, and nothing for a failure that is retried', async () => {
    const job = await insertJob({ maxAttempts: 2 });
    await jobs.claim(job.id, job.type);
    await jobs.recordFailure(job.id, { message: 'first', stack: 'Error: first\n    at secret (internal.ts:1:1)' });
    expect(await owed()).toEqual([]);
    await jobs.claim(job.id, job.type);
    await expect(jobs.recordFailure(job.id, { message: 'second' })).resolves.toBe(JobStatus.Dead);

    const [dead] = await owed();
    expect(dead).toMatchObject({ type: EventType.JobDead, jobId: job.id, data: { id: job.id, status: JobStatus.Dead, error: 'second' } });
    // Events leave Baton: no stacks.
    expect(JSON.stringify(dead)).not.toContain('internal.ts');
  });

  it('records job.cancelled with the cancellation, and nothing when the job could not be cancelled', async () => {
    const job = await insertJob();
    await expect(operations.cancel(job.id, TENANT)).resolves.toMatchObject({ kind: 'cancelled' });
    await expect(operations.cancel(job.id, TENANT)).resolves.toMatchObject({ kind: 'conflict' });
    const events = await owed();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: EventType.JobCancelled, jobId: job.id, data: { id: job.id, status: JobStatus.Cancelled } });
  });

  it('records a delivery for every enabled endpoint of the tenant that subscribes to the type', async () => {
    const exact = await endpoint([EventType.JobCompleted]);
    const prefix = await endpoint(['workout.*']);
    const all = await endpoint(['*']);
    const other = await endpoint([EventType.JobDead]);
    const disabled = await endpoint(['*']);
    await endpoints.update(disabled.id, TENANT, { disabled: true });
    const otherTenant = await endpoint(['*'], 'someone-else');

    const job = await insertJob();
    await jobs.claim(job.id, job.type);
    await workouts.saveForJob(job.id, newWorkout());

    const recorded: Array<{ endpoint_id: string; event_type: string }> = await ds.query(
      `SELECT endpoint_id, event_type FROM webhook_deliveries ORDER BY event_type, endpoint_id`,
    );
    const expected = [
      { endpoint_id: exact.id, event_type: EventType.JobCompleted },
      { endpoint_id: all.id, event_type: EventType.JobCompleted },
      { endpoint_id: prefix.id, event_type: EventType.WorkoutSaved },
      { endpoint_id: all.id, event_type: EventType.WorkoutSaved },
    ];
    const sort = (list: typeof recorded) => [...list].sort((a, b) => `${a.event_type}${a.endpoint_id}`.localeCompare(`${b.event_type}${b.endpoint_id}`));
    expect(sort(recorded)).toEqual(sort(expected));
    for (const absent of [other, disabled, otherTenant]) expect(recorded.map((row) => row.endpoint_id)).not.toContain(absent.id);
  });

  describe('EventOutboxRepository', () => {
    it('hands each event over until it is confirmed, then never again', async () => {
      const job = await insertJob();
      await operations.cancel(job.id, TENANT);
      const [event] = await owed();
      expect(await owed()).toEqual([event]);

      await expect(outbox.relayEvents(1000, async (events) => events.map((each) => each.id))).resolves.toBe(1);
      expect(await owed()).toEqual([]);
      await expect(outbox.countUnpublished()).resolves.toBe(0);
    });

    it('hands over the deliveries that are due, once each', async () => {
      await endpoint(['*']);
      const job = await insertJob();
      await operations.cancel(job.id, TENANT);
      const [{ id }]: Array<{ id: string }> = await ds.query(`SELECT id FROM webhook_deliveries`);

      const handed: string[][] = [];
      const relay = () => outbox.relayDueDeliveries(100, async (ids) => (handed.push(ids), ids));
      await relay();
      await relay();
      expect(handed).toEqual([[id]]);
    });
  });
});
