import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { CreateWorkoutDto, JobType } from '@baton/contracts';
import { JobContext } from '@baton/messaging';
import { JobErrorFilter } from '../jobs/job-error.filter';
import { WorkoutService } from './workout.service';

@Controller()
@UseFilters(JobErrorFilter)
export class SaveWorkoutHandler {
  constructor(private readonly workouts: WorkoutService) {}

  @EventPattern(JobType.Workout)
  handle(@Payload() workout: CreateWorkoutDto, @Ctx() context: JobContext): Promise<boolean> {
    return this.workouts.save(context.delivery.jobId!, workout);
  }
}
