import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiScope, Principal } from '@baton/auth';
import { ApiOperation } from '@baton/openapi';
import { Caller, RequireScope } from '../auth/require-scope.decorator';
import { BodyPipe } from '../http/payload.pipe';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { CreateScheduleDto, UpdateScheduleDto } from './schedule.dto';
import { ScheduleService } from './schedule.service';
import { ScheduleList, ScheduleListSchema, ScheduleView, scheduleView, ScheduleViewSchema } from './schedule.view';

const NOT_FOUND = "No such schedule in the API key's tenant.";

/** A tenant's recurring schedules: each tick of a cron expression creates one job. Changed by admin keys, read with jobs:read. */
@Controller('v1/schedules')
export class SchedulesController {
  constructor(private readonly schedules: ScheduleService) {}

  @Post()
  @RequireScope(ApiScope.Admin)
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createSchedule',
    summary: 'Creates a schedule: each tick of its cron expression, in its time zone, creates one job of its type with its payload.',
    description:
      'A cron expression croner cannot read (5 fields, or 6 with seconds first), or one that never fires, is a 400 naming `cron`; a time zone that is not an IANA name a 400 naming `timezone` (UTC when absent); a payload its type would refuse a 400 naming `payload.<field>`.',
    responses: { 201: { description: 'Created.', schema: ScheduleViewSchema }, 409: 'The tenant already has the most schedules it may.' },
  })
  async create(@Body(new BodyPipe(CreateScheduleDto)) request: CreateScheduleDto, @Caller() caller: Principal): Promise<ScheduleView> {
    return scheduleView(await this.schedules.create(caller.tenant, request));
  }

  @Get()
  @RequireScope(ApiScope.JobsRead)
  @ApiOperation({ operationId: 'listSchedules', summary: "The tenant's schedules.", responses: { 200: { description: 'The schedules.', schema: ScheduleListSchema } } })
  async list(@Caller() caller: Principal): Promise<ScheduleList> {
    return { schedules: (await this.schedules.list(caller.tenant)).map(scheduleView) };
  }

  @Get(':scheduleId')
  @RequireScope(ApiScope.JobsRead)
  @ApiOperation({ operationId: 'getSchedule', summary: 'A schedule and its next tick.', responses: { 200: { description: 'The schedule.', schema: ScheduleViewSchema }, 404: NOT_FOUND } })
  async get(@Param('scheduleId', new UuidParamPipe('scheduleId')) id: string, @Caller() caller: Principal): Promise<ScheduleView> {
    return scheduleView(await this.schedules.find(id, caller.tenant));
  }

  @Patch(':scheduleId')
  @RequireScope(ApiScope.Admin)
  @ApiOperation({
    operationId: 'updateSchedule',
    summary: "Changes a schedule's cron expression, time zone or payload, or pauses or resumes it.",
    description: 'A new cron expression or time zone, or a resume, counts the next tick from now: ticks missed while paused never run.',
    responses: { 200: { description: 'The schedule as changed.', schema: ScheduleViewSchema }, 404: NOT_FOUND },
  })
  async update(
    @Param('scheduleId', new UuidParamPipe('scheduleId')) id: string,
    @Body(new BodyPipe(UpdateScheduleDto)) request: UpdateScheduleDto,
    @Caller() caller: Principal,
  ): Promise<ScheduleView> {
    return scheduleView(await this.schedules.update(id, caller.tenant, request));
  }

  @Delete(':scheduleId')
  @RequireScope(ApiScope.Admin)
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteSchedule', summary: 'Removes a schedule: it creates no further job; the jobs it created stay.', responses: { 204: { description: 'Removed.' }, 404: NOT_FOUND } })
  async delete(@Param('scheduleId', new UuidParamPipe('scheduleId')) id: string, @Caller() caller: Principal): Promise<void> {
    await this.schedules.delete(id, caller.tenant);
  }
}
