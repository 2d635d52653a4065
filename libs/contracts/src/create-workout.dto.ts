import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsRFC3339,
  IsString,
  Length,
  MaxLength,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export const ACTIVITIES = ['run', 'ride', 'swim', 'walk', 'strength', 'yoga', 'other'] as const;
export type Activity = (typeof ACTIVITIES)[number];

// Finite numbers only: JSON cannot carry NaN or Infinity, but a payload built
// in code (or a message on the queue) can.
const FINITE = { allowNaN: false, allowInfinity: false };

export class WorkoutSetDto {
  @IsString()
  @Length(1, 100)
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
  @Length(1, 64)
  userId: string;

  @IsIn(ACTIVITIES, { message: `activity must be one of ${ACTIVITIES.join(', ')}` })
  activity: Activity;

  @IsRFC3339({ message: 'startedAt must be an ISO-8601 date-time with a time zone, e.g. 2026-11-20T07:30:00Z' })
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
  calories?: number;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  notes?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => WorkoutSetDto)
  sets?: WorkoutSetDto[];
}
