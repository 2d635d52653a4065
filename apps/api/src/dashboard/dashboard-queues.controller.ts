import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiScope, grantsScope, Principal } from '@baton/auth';
import { DeadLetters } from '@baton/messaging';
import { ApiExcluded } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { purgeDeadLetters, PurgedDeadLetters } from '../queues/dead-letters.controller';
import { QueuePauseService } from '../queues/queue-pause.service';
import { QueuePauseState } from '../queues/queue-pause.view';
import { DashboardOverviewService, Overview } from './dashboard-overview.service';
import { DashboardRoutes } from './dashboard-session.guard';

/** The queues at a glance, and what an operator does to a queue: pause, resume, purge its dead letters. */
@Controller('dashboard/api')
@ApiExcluded()
@DashboardRoutes()
export class DashboardQueuesController {
  constructor(
    private readonly overviews: DashboardOverviewService,
    private readonly pauses: QueuePauseService,
    private readonly deadLetters: DeadLetters,
  ) {}

  @Get('overview')
  @RequireScope(ApiScope.Admin)
  overview(@Caller() caller: Principal): Promise<Overview> {
    return this.overviews.overview(grantsScope(caller.scopes, ApiScope.Operator) ? undefined : caller.tenant);
  }

  @Post('queues/:name/pause')
  @RequireScope(ApiScope.Operator)
  @HttpCode(200)
  pause(@Param('name') name: string, @Caller() caller: Principal): Promise<QueuePauseState> {
    return this.pauses.pause(name, caller.keyId);
  }

  @Post('queues/:name/resume')
  @RequireScope(ApiScope.Operator)
  @HttpCode(200)
  resume(@Param('name') name: string): Promise<QueuePauseState> {
    return this.pauses.resume(name);
  }

  @Post('queues/:name/dead-letters/purge')
  @RequireScope(ApiScope.Operator)
  @HttpCode(200)
  purge(@Param('name') name: string): Promise<PurgedDeadLetters> {
    return purgeDeadLetters(this.deadLetters, name);
  }
}
