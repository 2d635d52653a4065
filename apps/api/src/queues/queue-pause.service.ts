import { Injectable, NotFoundException } from '@nestjs/common';
import { isWorkerQueue, WORKER_QUEUE_NAMES, WorkerQueue } from '@baton/contracts';
import { QueuePauseRepository } from '@baton/persistence';
import { QueueList, QueuePauseState } from './queue-pause.view';

/** Pauses and resumes worker queues; the workers read the state from PostgreSQL and apply it. */
@Injectable()
export class QueuePauseService {
  constructor(private readonly pauses: QueuePauseRepository) {}

  async pause(queue: string, pausedBy: string): Promise<QueuePauseState> {
    const name = known(queue);
    const pause = await this.pauses.pause(name, pausedBy);
    return { queue: name, paused: true, pausedAt: pause.pausedAt.toISOString() };
  }

  async resume(queue: string): Promise<QueuePauseState> {
    const name = known(queue);
    await this.pauses.resume(name);
    return { queue: name, paused: false, pausedAt: null };
  }

  async list(): Promise<QueueList> {
    const paused = new Map((await this.pauses.paused()).map((pause) => [pause.queue, pause.pausedAt]));
    return { queues: WORKER_QUEUE_NAMES.map((queue) => ({ queue, paused: paused.has(queue), pausedAt: paused.get(queue)?.toISOString() ?? null })) };
  }
}

function known(queue: string): WorkerQueue {
  if (!isWorkerQueue(queue)) throw new NotFoundException(`No queue ${queue}: a queue is a job type or webhooks`);
  return queue;
}
