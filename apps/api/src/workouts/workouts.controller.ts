import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { ApiOperation } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { WorkoutReadService } from './workout-read.service';
import { WorkoutView, WorkoutViewSchema } from './workout.view';

/** Saved workouts, read back by id; `POST /v1/workouts` comes from the type's definition. */
@Controller('v1/workouts')
export class WorkoutsController {
  constructor(private readonly workouts: WorkoutReadService) {}

  @Get(':workoutId')
  @RequireScope(ApiScope.JobsRead)
  @ApiOperation({
    operationId: 'getWorkout',
    summary: 'A saved workout, with its sets in the order sent.',
    responses: { 200: { description: 'The workout.', schema: WorkoutViewSchema }, 404: "No such workout in the API key's tenant." },
  })
  async get(@Param('workoutId', new UuidParamPipe('workoutId')) workoutId: string, @Caller() caller: Principal): Promise<WorkoutView> {
    const workout = await this.workouts.findById(workoutId, caller.tenant);
    if (!workout) throw new NotFoundException(`No workout ${workoutId}`);
    return workout;
  }
}
