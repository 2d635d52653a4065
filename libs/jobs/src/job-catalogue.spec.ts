import 'reflect-metadata';
import { EXCEPTION_FILTERS_METADATA } from '@nestjs/common/constants';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { JOB_TYPES, JobType } from '@baton/contracts';
import { BATON_SCHEMA, checkJobDefinitions, JOB_DEFINITIONS, jobDefinition, variablesRequiredFor } from './job-catalogue';
import { JobDefinition } from './job-definition';
import { JobErrorFilter } from './job-error.filter';
import { JOB_HANDLER_TYPE } from './job-handler.decorator';

describe('job catalogue', () => {
  it('defines every job type exactly once, and nothing else', () => {
    expect(() => checkJobDefinitions()).not.toThrow();
    expect(JOB_DEFINITIONS.map((definition) => definition.type).sort()).toEqual([...JOB_TYPES].sort());
  });

  it('refuses a job type without a definition, naming it', () => {
    const withoutEmails = JOB_DEFINITIONS.filter((definition) => definition.type !== JobType.Email);
    expect(() => checkJobDefinitions(withoutEmails)).toThrow(/job type "emails" has no definition/);
  });

  it('refuses a job type defined twice, and a definition whose name is no job type', () => {
    expect(() => checkJobDefinitions([...JOB_DEFINITIONS, jobDefinition(JobType.Invoice)])).toThrow(/"invoices" is defined 2 times/);
    const stray = { ...jobDefinition(JobType.Email), type: 'faxes' } as unknown as JobDefinition;
    expect(() => checkJobDefinitions([...JOB_DEFINITIONS, stray])).toThrow(/"faxes" names no JobType/);
  });

  it('refuses two types at one path', () => {
    const clash = JOB_DEFINITIONS.map((definition) => (definition.type === JobType.Email ? { ...definition, path: 'v1/invoices' } : definition));
    expect(() => checkJobDefinitions(clash)).toThrow(/POST \/v1\/invoices/);
  });

  it('derives what a worker must be configured with from the queues it consumes', () => {
    expect(variablesRequiredFor([JobType.Workout, JobType.Invoice])).toEqual([]);
    expect(variablesRequiredFor([JobType.Workout, JobType.Email]).map((variable) => variable.name)).toEqual(['SMTP_URL', 'MAIL_FROM']);
    expect(variablesRequiredFor([JobType.Email])[0].because).toMatch(/consumes emails/);
  });

  it("maps every type's tables and runs its migrations", () => {
    for (const definition of JOB_DEFINITIONS) {
      for (const entity of definition.entities ?? []) expect(BATON_SCHEMA.entities).toContain(entity);
      for (const migration of definition.migrations ?? []) expect(BATON_SCHEMA.migrations).toContain(migration);
    }
  });

  describe.each(JOB_DEFINITIONS.map((definition) => [definition.type, definition] as const))('%s', (type, definition) => {
    it('is accepted at POST /v1/<its name>', () => {
      expect(definition.path).toBe(`v1/${type}`);
    });

    it('has a worker module with one @JobHandler for it, bound to its queue, with the error filter', async () => {
      const worker = await definition.worker();
      const handlers = (Reflect.getMetadata('controllers', worker) ?? []) as Function[];
      const own = handlers.filter((handler) => Reflect.getMetadata(JOB_HANDLER_TYPE, handler) === type);
      expect(own).toHaveLength(1);
      const [handler] = own;
      expect(Reflect.getMetadata(PATTERN_METADATA, handler.prototype.handle)).toEqual([type]);
      expect(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, handler)).toEqual([JobErrorFilter]);
    });
  });
});
