import { Static, Type } from '@sinclair/typebox';
import { JSONSchema } from 'class-validator-jsonschema';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Characters, JOB_TYPES, JobType } from '@baton/contracts';

/** At most this many dead jobs per call: one bounded statement, and as many messages published at once. */
export const MAX_RETRY_DEAD = 1_000;

/** The body of POST /v1/jobs/retry-dead. */
export class RetryDeadDto {
  /** Only the dead jobs of this type; of every type when absent. */
  @IsOptional()
  @IsIn(JOB_TYPES, { message: `type must be one of ${JOB_TYPES.join(', ')}` })
  type?: JobType;

  @IsOptional()
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(MAX_RETRY_DEAD)
  @JSONSchema({ description: `At most this many, oldest dead first; ${MAX_RETRY_DEAD} when absent.` })
  limit?: number;

  @IsOptional()
  @IsBoolean()
  @JSONSchema({ description: 'Retry nothing; answer how many this call would retry (`wouldRetry`), for a confirmation to show.' })
  dryRun?: boolean;

  @IsOptional()
  @IsString()
  @Characters(1, 100)
  @JSONSchema({ description: 'For an `operator` key: only this tenant\'s dead jobs (every tenant\'s when absent). An `admin` key always acts on its own tenant only and may not name one (403).' })
  tenant?: string;
}

export const RetriedDeadSchema = Type.Object(
  {
    retried: Type.Integer({ minimum: 0, description: 'Dead jobs sent back to their queue, each with a fresh attempt budget.' }),
    wouldRetry: Type.Optional(Type.Integer({ minimum: 0, description: 'With `dryRun`: how many this call would have retried.' })),
  },
  { title: 'RetriedDead', additionalProperties: false },
);
export type RetriedDead = Static<typeof RetriedDeadSchema>;
