import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EventType, workoutLocation } from '@baton/contracts';
import { connected, EffectOutcome, insertRows, JobExecutionRepository, PRIMARY_READS, ReplicaReads, unlessMissing } from '@baton/persistence';
import { WorkoutEntity } from './workout.entity';

export interface NewWorkout {
  id: string;
  userId: string;
  activity: string;
  startedAt: string;
  durationSec: number;
  distanceM?: number;
  calories?: number;
  notes?: string;
  sets: Array<{ exercise: string; reps: number; weightKg?: number }>;
}

@Injectable()
export class WorkoutRepository {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly jobs: JobExecutionRepository,
    @Optional() private readonly replicas: ReplicaReads = PRIMARY_READS,
  ) {}

  /** Stores the workout and its sets and completes the job, with its `workout.saved` event, in one transaction; once per job. */
  saveForJob(jobId: string, workout: NewWorkout): Promise<EffectOutcome<{ workoutId: string }>> {
    return this.jobs.completeWith(jobId, async (sql, job, events) => {
      await sql.query(
        `INSERT INTO workouts (id, job_id, tenant, user_id, activity, started_at, duration_sec, distance_m, calories, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          workout.id,
          jobId,
          job.tenant,
          workout.userId,
          workout.activity,
          workout.startedAt,
          workout.durationSec,
          workout.distanceM ?? null,
          workout.calories ?? null,
          workout.notes ?? null,
        ],
      );
      await insertRows(
        sql,
        'workout_sets',
        ['workout_id', 'position', 'exercise', 'reps', 'weight_kg'],
        workout.sets.map((set, position) => [workout.id, position, set.exercise, set.reps, set.weightKg ?? null]),
      );
      events.record(EventType.WorkoutSaved, {
        workoutId: workout.id,
        userId: workout.userId,
        activity: workout.activity,
        startedAt: workout.startedAt,
        durationSec: workout.durationSec,
        workoutUrl: workoutLocation(workout.id),
      });
      return { workoutId: workout.id };
    });
  }

  /**
   * The tenant's workout with this id; null for another tenant's, as for one
   * that does not exist. Written once, with its sets, so a replica's copy is
   * the workout; one the replica lacks yet is read from the primary.
   */
  async findById(id: string, tenant: string): Promise<WorkoutEntity | null> {
    return this.replicas.read(
      this.dataSource,
      (source) =>
        connected(source).getRepository(WorkoutEntity).findOne({
          where: { id, tenant },
          relations: { sets: true },
          order: { sets: { position: 'ASC' } },
        }),
      unlessMissing,
    );
  }
}
