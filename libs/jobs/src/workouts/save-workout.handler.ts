import { JobType } from '@baton/contracts';
import { JobContext } from '@baton/messaging';
import { JobHandler, JobHandlerOf } from '../job-handler.decorator';
import { CreateWorkoutDto } from './create-workout.dto';
import { WorkoutService } from './workout.service';

@JobHandler(JobType.Workout)
export class SaveWorkoutHandler implements JobHandlerOf<CreateWorkoutDto> {
  constructor(private readonly workouts: WorkoutService) {}

  handle(workout: CreateWorkoutDto, context: JobContext): Promise<boolean> {
    return this.workouts.save(context.delivery.jobId!, workout);
  }
}
