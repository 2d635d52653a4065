import { Body, Controller, Get, NotFoundException, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CreateWorkoutDto, JobType } from '@baton/contracts';
import { WorkoutRepository } from '@baton/persistence';
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
  async create(
    @Body(new PayloadPipe(JobType.Workout)) workout: CreateWorkoutDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @CorrelationId() correlationId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const submission = await this.submissions.submit(JobType.Workout, workout, { correlationId, idempotencyKey });
    return replyAccepted(reply, submission);
  }

  @Get(':workoutId')
  async get(@Param('workoutId', new UuidParamPipe('workoutId')) workoutId: string) {
    const workout = await this.workouts.findById(workoutId);
    if (!workout) throw new NotFoundException(`No workout ${workoutId}`);
    return workoutView(workout);
  }
}
