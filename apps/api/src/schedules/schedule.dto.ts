import { JSONSchema } from 'class-validator-jsonschema';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { Characters, JOB_TYPES, JobType } from '@baton/contracts';
import { MAX_CRON_LENGTH, MAX_TIMEZONE_LENGTH } from '@baton/schedules';

// Any object as far as the document goes: the job type's body validates it (a 400 naming `payload.<field>`).
const PAYLOAD_SCHEMA = { type: 'object', additionalProperties: true, description: 'The body of every job it creates, as `POST /v1/<type>` takes it.' } as const;

/** The body of POST /v1/schedules. The cron expression, the zone and the payload are checked further before it is stored. */
export class CreateScheduleDto {
  @IsString()
  @Characters(1, 100)
  name: string;

  @IsString()
  @MaxLength(MAX_CRON_LENGTH)
  @JSONSchema({ description: '5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, as croner reads them.' })
  cron: string;

  /** An IANA time zone (Europe/Paris); UTC when absent. */
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TIMEZONE_LENGTH)
  timezone?: string;

  @IsIn(JOB_TYPES, { message: `type must be one of ${JOB_TYPES.join(', ')}` })
  type: JobType;

  @IsObject()
  @JSONSchema(PAYLOAD_SCHEMA)
  payload: Record<string, unknown>;
}

/** The body of PATCH /v1/schedules/:id: what is given changes. */
export class UpdateScheduleDto {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CRON_LENGTH)
  cron?: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_TIMEZONE_LENGTH)
  timezone?: string;

  @IsOptional()
  @IsObject()
  @JSONSchema(PAYLOAD_SCHEMA)
  payload?: Record<string, unknown>;

  @IsOptional()
  @IsBoolean()
  paused?: boolean;
}
