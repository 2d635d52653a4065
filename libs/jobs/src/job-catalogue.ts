import { RequiredVariable } from '@baton/config';
import { isJobType, JOB_TYPES, JobType, PayloadCheck, validateBody, WorkerQueue } from '@baton/contracts';
import { CORE_SCHEMA, DatabaseSchema } from '@baton/persistence';
import { emailJob } from './emails/email.job';
import { invoiceJob } from './invoices/invoice.job';
import { JobDefinition } from './job-definition';
import { workoutJob } from './workouts/workout.job';

/**
 * Every job type Baton runs. Adding one is its name in JobType, its folder,
 * and its line here (docs/adding-a-job-type.md); every process checks at
 * start that the names and the definitions match.
 */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [workoutJob, invoiceJob, emailJob] as readonly JobDefinition[];

/**
 * Throws, naming the type, unless every JobType has exactly one definition
 * and every definition a JobType: a name without a payload class would be a
 * queue nothing can validate, and a definition without a name a queue
 * nothing declares.
 */
export function checkJobDefinitions(definitions: readonly JobDefinition[] = JOB_DEFINITIONS, types: readonly string[] = JOB_TYPES): void {
  for (const type of types) {
    const found = definitions.filter((definition) => definition.type === type);
    if (found.length === 0) throw new Error(`job type "${type}" has no definition (payload class, handler): add its ${type}.job.ts to JOB_DEFINITIONS in libs/jobs/src/job-catalogue.ts`);
    if (found.length > 1) throw new Error(`job type "${type}" is defined ${found.length} times in JOB_DEFINITIONS`);
  }
  for (const definition of definitions) {
    if (!types.includes(definition.type)) throw new Error(`job definition "${definition.type}" names no JobType: add it to libs/contracts/src/job-type.ts`);
  }
  const paths = definitions.map((definition) => definition.path);
  const twice = paths.find((path, index) => paths.indexOf(path) !== index);
  if (twice) throw new Error(`two job types are accepted at POST /${twice}`);
}

/** For a process's start: the catalogue's problem on stderr, and exit code 1. */
export function checkJobDefinitionsOrExit(): void {
  try {
    checkJobDefinitions();
  } catch (error) {
    process.stderr.write(`Invalid job types: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

/** The definition of a job type. */
export function jobDefinition(type: JobType): JobDefinition {
  const definition = JOB_DEFINITIONS.find((candidate) => candidate.type === type);
  if (!definition) throw new Error(`job type "${type}" has no definition in JOB_DEFINITIONS`);
  return definition;
}

/** Validates a job payload exactly as the API validated the request body. */
export function validatePayload(type: JobType, plain: unknown): Promise<PayloadCheck<object>> {
  return validateBody(jobDefinition(type).payload, plain);
}

/** The variables a worker consuming these queues must have, besides its own, each with the queue that needs it. */
export function variablesRequiredFor(queues: readonly WorkerQueue[]): RequiredVariable[] {
  const required = new Map<string, RequiredVariable>();
  for (const type of queues.filter(isJobType)) {
    for (const name of jobDefinition(type).workerRequires ?? []) {
      if (!required.has(name)) {
        required.set(name, { name, because: `this worker consumes ${type} (WORKER_QUEUES); leave ${type} out of WORKER_QUEUES, or add it to DISABLED_JOB_TYPES, to run without it` });
      }
    }
  }
  return [...required.values()];
}

/** The whole schema: the core's tables and migrations, and every job type's. */
export const BATON_SCHEMA: DatabaseSchema = {
  entities: [...CORE_SCHEMA.entities, ...JOB_DEFINITIONS.flatMap((definition) => definition.entities ?? [])],
  migrations: [...CORE_SCHEMA.migrations, ...JOB_DEFINITIONS.flatMap((definition) => definition.migrations ?? [])],
};
