import { JobType } from '@baton/contracts';
import { defineJob } from '../job-definition';
import { CreateWorkoutDto } from './create-workout.dto';
import { WorkoutEntity, WorkoutSetEntity } from './workout.entity';
import { WorkoutRepository } from './workout.repository';

export const workoutJob = defineJob({
  type: JobType.Workout,
  payload: CreateWorkoutDto,
  path: 'v1/workouts',
  summary: 'saves a workout with all its sets',
  worker: () => import('./workout-worker.module').then((loaded) => loaded.WorkoutWorkerModule),
  entities: [WorkoutEntity, WorkoutSetEntity],
  providers: [WorkoutRepository],
});
