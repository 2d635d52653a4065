import { Injectable, Logger } from '@nestjs/common';
import { JobRelay } from '@baton/api';
import { DatabaseConnector, JobOperationsRepository, WebhookDeliveryRepository } from '@baton/persistence';

/**
 * With the in-process broker, queued messages die with the process. At
 * start, every job PostgreSQL holds as unfinished (queued, running, or
 * waiting for a retry) is published again, so a restart loses no accepted
 * job; a job that did complete before the restart is not run again. It runs
 * once PostgreSQL is reached and before the worker consumes. Pending
 * webhook deliveries, whose messages died too, are owed again.
 */
@Injectable()
export class JobRecovery {
  private readonly logger = new Logger('JobRecovery');

  constructor(
    private readonly jobs: JobOperationsRepository,
    private readonly relay: JobRelay,
    private readonly webhookDeliveries: WebhookDeliveryRepository,
    private readonly database: DatabaseConnector,
  ) {}

  async recover(): Promise<void> {
    await this.database.whenConnected();
    const requeued = await this.jobs.requeueUnfinished();
    if (requeued > 0) {
      this.logger.log(`${requeued} unfinished jobs from the last run queued again`);
      await this.relay.sweep();
    }
    const deliveries = await this.webhookDeliveries.unpublishPending();
    if (deliveries > 0) this.logger.log(`${deliveries} pending webhook deliveries from the last run owed again`);
  }
}
