import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { WorkoutRepository } from '@baton/jobs';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { workoutView } from './workout.view';

/** Saved workouts, read back by id; `POST /v1/workouts` comes from the type's definition. */
@Controller('v1/workouts')
export class WorkoutsController {
  constructor(private readonly workouts: WorkoutRepository) {}

  @Get(':workoutId')
  @RequireScope(ApiScope.JobsRead)
  async get(@Param('workoutId', new UuidParamPipe('workoutId')) workoutId: string, @Caller() caller: Principal) {
    const workout = await this.workouts.findById(workoutId, caller.tenant);
    if (!workout) throw new NotFoundException(`No workout ${workoutId}`);
    return workoutView(workout);
  }
}
