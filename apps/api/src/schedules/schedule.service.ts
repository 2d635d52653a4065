import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { BatonConfig } from '@baton/config';
import { FieldError, JobType } from '@baton/contracts';
import { jobDefinition, validatePayload } from '@baton/jobs';
import { MAX_SCHEDULES_PER_TENANT, Schedule, ScheduleRepository } from '@baton/persistence';
import { CronSchedule, rescheduledRunAt } from '@baton/schedules';
import { errorBody } from '../http/error-body';
import { invalidBody } from '../http/payload.pipe';
import { CreateScheduleDto, UpdateScheduleDto } from './schedule.dto';

/** The zone of a schedule created without one. */
const DEFAULT_TIMEZONE = 'UTC';

/**
 * A tenant's schedules: stored only with a cron expression croner reads, a
 * real time zone, and a payload its job type would accept from the tenant
 * right now (the type's body, and its admission check).
 */
@Injectable()
export class ScheduleService {
  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly modules: ModuleRef,
    private readonly config: BatonConfig,
  ) {}

  async create(tenant: string, request: CreateScheduleDto, now = new Date()): Promise<Schedule> {
    const timezone = request.timezone ?? DEFAULT_TIMEZONE;
    const cron = normalised(request.cron);
    const parsed = CronSchedule.parse(cron, timezone, now);
    const errors = parsed instanceof CronSchedule ? [] : parsed.errors;
    if (this.config.DISABLED_JOB_TYPES.includes(request.type)) {
      errors.push({ field: 'type', messages: [`type ${request.type} is turned off in this deployment (DISABLED_JOB_TYPES)`] });
      throw invalidBody(errors);
    }
    const payload = await this.checkedPayload(request.type, request.payload, tenant, errors);
    if (errors.length > 0 || !(parsed instanceof CronSchedule)) throw invalidBody(errors);
    const schedule = await this.schedules.create({ tenant, name: request.name, cron, timezone, type: request.type, payload, nextRunAt: parsed.nextAfter(now)! });
    if (!schedule) throw new ConflictException(errorBody(409, `A tenant may have at most ${MAX_SCHEDULES_PER_TENANT} schedules`));
    return schedule;
  }

  list(tenant: string): Promise<Schedule[]> {
    return this.schedules.list(tenant);
  }

  async find(id: string, tenant: string): Promise<Schedule> {
    return found(id, await this.schedules.find(id, tenant));
  }

  /** A new cron or zone, or a resume, counts its next tick from now; ticks missed while paused never run. */
  async update(id: string, tenant: string, request: UpdateScheduleDto, now = new Date()): Promise<Schedule> {
    const current = await this.find(id, tenant);
    const cron = request.cron === undefined ? undefined : normalised(request.cron);
    const errors: FieldError[] = [];
    if (cron !== undefined || request.timezone !== undefined) {
      const parsed = CronSchedule.parse(cron ?? current.cron, request.timezone ?? current.timezone, now);
      if (!(parsed instanceof CronSchedule)) errors.push(...parsed.errors);
    }
    const payload = request.payload === undefined ? undefined : await this.checkedPayload(current.type, request.payload, tenant, errors);
    if (errors.length > 0) throw invalidBody(errors);
    const change = { cron, timezone: request.timezone, paused: request.paused };
    const updated = await this.schedules.update(id, tenant, (stored) => ({ ...change, payload, nextRunAt: rescheduledRunAt(stored, change, now) }));
    return found(id, updated);
  }

  async delete(id: string, tenant: string): Promise<void> {
    if (!(await this.schedules.delete(id, tenant))) throw notFound(id);
  }

  /** The payload as its job type's body validates it, or its errors (named `payload.<field>`) added to `errors`. */
  private async checkedPayload(type: JobType, plain: object, tenant: string, errors: FieldError[]): Promise<object> {
    const checked = await validatePayload(type, plain);
    if (!checked.valid) {
      errors.push(...inPayload(checked.errors));
      return plain;
    }
    const admission = jobDefinition(type).admission;
    if (admission) errors.push(...inPayload(await this.modules.get(admission, { strict: false }).check(checked.payload, tenant)));
    return checked.payload;
  }
}

/** Fields one space apart, as croner reads them and as the schedule is shown. */
function normalised(cron: string): string {
  return cron.trim().split(/\s+/).join(' ');
}

function inPayload(errors: FieldError[]): FieldError[] {
  return errors.map((error) => ({ ...error, field: error.field === '(body)' ? 'payload' : `payload.${error.field}` }));
}

function found(id: string, schedule: Schedule | null): Schedule {
  if (!schedule) throw notFound(id);
  return schedule;
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`No schedule ${id}`);
}
