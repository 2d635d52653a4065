import { DynamicModule, Global, Module, Provider, Type } from '@nestjs/common';
import { isJobType, WorkerQueue } from '@baton/contracts';
import { JOB_DEFINITIONS, jobDefinition } from './job-catalogue';

/**
 * The job types' shared providers (their repositories and admission checks),
 * for every process; and, for the processes that consume queues, each
 * consumed type's worker module with its handler.
 */
@Global()
@Module({})
export class JobTypesModule {
  static forRoot(): DynamicModule {
    const providers: Provider[] = JOB_DEFINITIONS.flatMap((definition) => [
      ...(definition.providers ?? []),
      ...(definition.admission ? [definition.admission] : []),
    ]);
    return { module: JobTypesModule, providers, exports: providers };
  }

  /** The worker modules of the job types among `queues`, loaded now: only a process that consumes a type loads its handler's dependencies. */
  static async workersFor(queues: readonly WorkerQueue[]): Promise<Type<unknown>[]> {
    return Promise.all(queues.filter(isJobType).map((type) => jobDefinition(type).worker()));
  }
}
