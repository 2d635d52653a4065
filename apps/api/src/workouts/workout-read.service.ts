import { Injectable } from '@nestjs/common';
import { WorkoutRepository } from '@baton/jobs';
import { ReadCache } from '@baton/read-cache';
import { WorkoutView, workoutView } from './workout.view';

/** `GET /v1/workouts/:id` through the read cache: a workout is written once, its view cached as it is answered. */
@Injectable()
export class WorkoutReadService {
  constructor(
    private readonly workouts: WorkoutRepository,
    private readonly cache: ReadCache,
  ) {}

  findById(workoutId: string, tenant: string): Promise<WorkoutView | null> {
    return this.cache.read({ resource: 'workout', tenant, id: workoutId }, async () => {
      const workout = await this.workouts.findById(workoutId, tenant);
      return workout && workoutView(workout);
    });
  }
}
