import { CreateJobPipeline1763800000000 } from './1763800000000-create-job-pipeline';
import { TenantsAndApiKeys1764000000000 } from './1764000000000-tenants-and-api-keys';
import { JobOperations1764100000000 } from './1764100000000-job-operations';
import { ApiKeyChangeNotifications1764200000000 } from './1764200000000-api-key-change-notifications';
import { InvoiceProfilesAndNumbers1764300000000 } from './1764300000000-invoice-profiles-and-numbers';
import { EventsAndWebhooks1764500000000 } from './1764500000000-events-and-webhooks';
import { DelayedJobs1764600000000 } from './1764600000000-delayed-jobs';
import { JobRetention1764700000000 } from './1764700000000-job-retention';
import { Schedules1764800000000 } from './1764800000000-schedules';
import { JobTraceContext1764900000000 } from './1764900000000-job-trace-context';
import { OldestPending1765000000000 } from './1765000000000-oldest-pending';
import { QueuePauses1765100000000 } from './1765100000000-queue-pauses';
import { DashboardSessions1765200000000 } from './1765200000000-dashboard-sessions';
import { JobSearch1765300000000 } from './1765300000000-job-search';

/**
 * The core's migrations, oldest first. The first ones also created the
 * workouts' and invoices' tables, from before job types had folders of
 * their own; a job type's later migrations live in its folder (libs/jobs).
 */
export const CORE_MIGRATIONS = [
  CreateJobPipeline1763800000000,
  TenantsAndApiKeys1764000000000,
  JobOperations1764100000000,
  ApiKeyChangeNotifications1764200000000,
  InvoiceProfilesAndNumbers1764300000000,
  EventsAndWebhooks1764500000000,
  DelayedJobs1764600000000,
  JobRetention1764700000000,
  Schedules1764800000000,
  JobTraceContext1764900000000,
  OldestPending1765000000000,
  QueuePauses1765100000000,
  DashboardSessions1765200000000,
  JobSearch1765300000000,
];
