import { Static, Type } from '@sinclair/typebox';
import { JOB_TYPES } from '@baton/contracts';
import { Schedule } from '@baton/persistence';
import { AnyObject, Nullable, StringEnum, Timestamp, Uuid } from '../http/schema-types';

export const ScheduleViewSchema = Type.Object(
  {
    id: Uuid({ description: 'Also the `scheduleId` of every job it creates (`GET /v1/jobs?scheduleId=`).' }),
    name: Type.String(),
    cron: Type.String({ description: '5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first.' }),
    timezone: Type.String({ description: 'The IANA time zone the expression is read in.' }),
    type: StringEnum(JOB_TYPES, { description: 'The type of the jobs it creates.' }),
    payload: AnyObject({ description: 'The body of every job it creates.' }),
    paused: Type.Boolean(),
    nextRunAt: Nullable(Timestamp({ description: 'Its next tick; null while paused.' })),
    createdAt: Timestamp(),
  },
  { title: 'Schedule', additionalProperties: false },
);
export type ScheduleView = Static<typeof ScheduleViewSchema>;

export const ScheduleListSchema = Type.Object(
  { schedules: Type.Array(ScheduleViewSchema, { description: 'Oldest first.' }) },
  { title: 'ScheduleList', additionalProperties: false },
);
export type ScheduleList = Static<typeof ScheduleListSchema>;

export function scheduleView(schedule: Schedule): ScheduleView {
  return {
    id: schedule.id,
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    type: schedule.type,
    payload: schedule.payload,
    paused: schedule.paused,
    nextRunAt: schedule.paused ? null : schedule.nextRunAt.toISOString(),
    createdAt: schedule.createdAt.toISOString(),
  };
}
