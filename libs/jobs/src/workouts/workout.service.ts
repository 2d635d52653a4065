import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { CreateWorkoutDto } from './create-workout.dto';
import { WorkoutRepository } from './workout.repository';

@Injectable()
export class WorkoutService {
  private readonly logger = new Logger('WorkoutService');

  constructor(private readonly workouts: WorkoutRepository) {}

  /** Saves the workout of a job; false when the job was already done (a duplicate delivery). */
  async save(jobId: string, workout: CreateWorkoutDto): Promise<boolean> {
    const outcome = await this.workouts.saveForJob(jobId, {
      id: randomUUID(),
      userId: workout.userId,
      activity: workout.activity,
      // RFC 3339 allows offsets up to ±23:59, PostgreSQL only ±15:59: store UTC.
      startedAt: new Date(workout.startedAt).toISOString(),
      durationSec: workout.durationSec,
      distanceM: workout.distanceM,
      calories: workout.calories,
      notes: workout.notes,
      sets: workout.sets ?? [],
    });
    if (outcome.applied) this.logger.log(`job ${jobId} completed: workout ${outcome.result.workoutId}`);
    else this.logger.debug(`job ${jobId} was already completed; nothing saved`);
    return outcome.applied;
  }
}
