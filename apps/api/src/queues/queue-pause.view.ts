import { Static, Type } from '@sinclair/typebox';
import { WORKER_QUEUE_NAMES } from '@baton/contracts';
import { Nullable, StringEnum, Timestamp } from '../http/schema-types';

export const QueuePauseStateSchema = Type.Object(
  {
    queue: StringEnum(WORKER_QUEUE_NAMES, { description: 'A job type, or `webhooks` (the webhook deliveries).' }),
    paused: Type.Boolean({ description: 'True while workers take no new deliveries from it.' }),
    pausedAt: Nullable(Timestamp({ description: 'When it was paused (the first pause of a queue paused twice); null while it runs.' })),
  },
  { title: 'QueuePauseState', additionalProperties: false },
);
export type QueuePauseState = Static<typeof QueuePauseStateSchema>;

export const QueueListSchema = Type.Object(
  { queues: Type.Array(QueuePauseStateSchema, { description: 'Every worker queue.' }) },
  { title: 'QueueList', additionalProperties: false },
);
export type QueueList = Static<typeof QueueListSchema>;
