import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { ApiOperation } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { QueuePauseService } from './queue-pause.service';
import { QueueList, QueueListSchema, QueuePauseState, QueuePauseStateSchema } from './queue-pause.view';

const NOT_FOUND = 'No such queue: a queue is a job type or `webhooks`.';

/** Pausing and resuming a queue: `operator` only, since a queue serves every tenant. */
@Controller('v1/queues')
export class QueuesController {
  constructor(private readonly pauses: QueuePauseService) {}

  @Get()
  @RequireScope(ApiScope.Operator)
  @ApiOperation({ operationId: 'listQueues', summary: 'Every worker queue, and whether it is paused.', responses: { 200: { description: 'The queues.', schema: QueueListSchema } } })
  list(): Promise<QueueList> {
    return this.pauses.list();
  }

  @Post(':name/pause')
  @RequireScope(ApiScope.Operator)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'pauseQueue',
    summary: 'Pauses a queue: within 5 s every worker takes no new deliveries from it and finishes those it holds; jobs accepted meanwhile wait.',
    description: 'Idempotent: pausing a paused queue keeps its first pause. The pause is kept in PostgreSQL and outlives restarts; workers stay ready while paused.',
    responses: { 200: { description: 'Paused.', schema: QueuePauseStateSchema }, 404: NOT_FOUND },
  })
  pause(@Param('name') name: string, @Caller() caller: Principal): Promise<QueuePauseState> {
    return this.pauses.pause(name, caller.keyId);
  }

  @Post(':name/resume')
  @RequireScope(ApiScope.Operator)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'resumeQueue',
    summary: 'Resumes a queue: within 5 s its workers consume it again.',
    description: 'Idempotent: resuming a queue that is not paused does nothing.',
    responses: { 200: { description: 'Running.', schema: QueuePauseStateSchema }, 404: NOT_FOUND },
  })
  resume(@Param('name') name: string): Promise<QueuePauseState> {
    return this.pauses.resume(name);
  }
}
