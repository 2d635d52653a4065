import { Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { Static, Type } from '@sinclair/typebox';
import { ApiScope } from '@baton/auth';
import { isJobType, JOB_TYPES } from '@baton/contracts';
import { DeadLetters, deadLetterQueue } from '@baton/messaging';
import { ApiOperation } from '@baton/openapi';
import { RequireScope } from '../auth/require-scope.decorator';

export const PurgedDeadLettersSchema = Type.Object(
  {
    queue: Type.String({ description: 'The dead-letter queue: `<type>.dead`.' }),
    purged: Type.Integer({ minimum: 0, description: 'Dead letters deleted.' }),
  },
  { title: 'PurgedDeadLetters', additionalProperties: false },
);
export type PurgedDeadLetters = Static<typeof PurgedDeadLettersSchema>;

/** A queue's dead letters, which serve every tenant: for operators only. */
@Controller('v1/queues')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetters) {}

  @Post(':name/dead-letters/purge')
  @RequireScope(ApiScope.Operator)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'purgeDeadLetters',
    summary: "Deletes every dead letter of a job type's queue; the jobs stay `dead`.",
    description:
      'As `baton dlq purge`: the letters leave the broker for good, while each job keeps its status, attempts and errors in the database, and can still be retried. `:name` is a job type.',
    responses: {
      200: { description: 'How many letters were deleted.', schema: PurgedDeadLettersSchema },
      404: `No such queue: the job types are ${JOB_TYPES.join(', ')}.`,
    },
  })
  purge(@Param('name') name: string): Promise<PurgedDeadLetters> {
    return purgeDeadLetters(this.deadLetters, name);
  }
}

/** Empties the dead-letter queue of the job type `name` names (404 for any other name): for this route and the dashboard's. */
export async function purgeDeadLetters(deadLetters: DeadLetters, name: string): Promise<PurgedDeadLetters> {
  if (!isJobType(name)) throw new NotFoundException(`No queue ${name}: the queues are ${JOB_TYPES.join(', ')}`);
  return { queue: deadLetterQueue(name), purged: await deadLetters.purge(name) };
}
