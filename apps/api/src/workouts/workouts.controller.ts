import { Body, Controller, Get, NotFoundException, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CreateWorkoutDto, JobType } from '@baton/contracts';
import { ApiScope, Principal } from '@baton/auth';
import { WorkoutRepository } from '@baton/persistence';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { CorrelationId } from '../http/correlation-id';
import { IdempotencyKey } from '../http/idempotency-key.decorator';
import { PayloadPipe } from '../http/payload.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { JobSubmissionService } from '../jobs/job-submission.service';
import { replyAccepted } from '../jobs/job.view';
import { workoutView } from './workout.view';

@Controller('v1/workouts')
export class WorkoutsController {
  constructor(
    private readonly submissions: JobSubmissionService,
    private readonly workouts: WorkoutRepository,
  ) {}

  @Post()
  @RequireScope(ApiScope.JobsWrite)
  async create(
    @Body(new PayloadPipe(JobType.Workout)) workout: CreateWorkoutDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @CorrelationId() correlationId: string,
    @Caller() caller: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const submission = await this.submissions.submit(JobType.Workout, workout, { caller, correlationId, idempotencyKey });
    return replyAccepted(reply, submission);
  }

  @Get(':workoutId')
  @RequireScope(ApiScope.JobsRead)
  async get(@Param('workoutId', new UuidParamPipe('workoutId')) workoutId: string, @Caller() caller: Principal) {
    const workout = await this.workouts.findById(workoutId, caller.tenant);
    if (!workout) throw new NotFoundException(`No workout ${workoutId}`);
    return workoutView(workout);
  }
}
