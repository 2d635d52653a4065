import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsObject,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsRFC3339,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { Characters } from '@baton/contracts';

/** Largest value of a PostgreSQL `integer` column: beyond it a save could never succeed. */
const PG_INTEGER_MAX = 2_147_483_647;

export const ACTIVITIES = ['run', 'ride', 'swim', 'walk', 'strength', 'yoga', 'other'] as const;
export type Activity = (typeof ACTIVITIES)[number];

// Finite numbers only: JSON cannot carry NaN or Infinity, but a payload built
// in code (or a message on the queue) can.
const FINITE = { allowNaN: false, allowInfinity: false };

export class WorkoutSetDto {
  @IsString()
  @Characters(1, 100)
  exercise: string;

  @IsInt()
  @Min(1)
  @Max(1000)
  reps: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  @Max(1000)
  weightKg?: number;
}

/** Body of `POST /v1/workouts`, and the payload of a `workouts` job. */
export class CreateWorkoutDto {
  @IsString()
  @Characters(1, 64)
  userId: string;

  @IsIn(ACTIVITIES, { message: `activity must be one of ${ACTIVITIES.join(', ')}` })
  activity: Activity;

  // RFC 3339 fixes the shape (date, time and zone); ISO 8601 strict mode
  // checks the calendar (no 30 February).
  @IsRFC3339({ message: 'startedAt must be an ISO-8601 date-time with a time zone, e.g. 2026-11-20T07:30:00Z' })
  @IsISO8601({ strict: true }, { message: 'startedAt must be a real calendar date and time' })
  startedAt: string;

  @IsInt()
  @Min(1)
  @Max(86_400)
  durationSec: number;

  @IsOptional()
  @IsNumber(FINITE)
  @Min(0)
  distanceM?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(PG_INTEGER_MAX)
  calories?: number;

  @IsOptional()
  @IsString()
  @Characters(0, 2000)
  notes?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  // ValidateNested looks inside nested arrays too: each item must be an object itself.
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => WorkoutSetDto)
  sets?: WorkoutSetDto[];
}
