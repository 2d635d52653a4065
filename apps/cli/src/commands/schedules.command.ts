import { isUuid } from '@baton/contracts';
import { Schedule } from '@baton/persistence';
import { rescheduledRunAt } from '@baton/schedules';
import { parseCommand } from '../cli-arguments';
import { CliContext } from '../cli-context';
import { CommandError, UsageError } from '../cli-error';
import { renderTable } from '../table';

export const SCHEDULES_USAGE = `schedules list [--tenant <name>] [--json]
                                schedules (every tenant unless --tenant) and their next ticks
  schedules pause <id>          no more jobs from the schedule until it is resumed
  schedules resume <id>         ticks again from now on; ticks missed while paused never run
  schedules delete <id>         removes the schedule; the jobs it created stay`;

/** `schedules list | pause | resume | delete`. */
export async function schedules(args: string[], context: CliContext): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'list') return list(rest, context);
  if (subcommand === 'pause' || subcommand === 'resume') return setPaused(subcommand, rest, context);
  if (subcommand === 'delete') return remove(rest, context);
  throw new UsageError(subcommand === undefined ? 'schedules needs a subcommand: list, pause, resume or delete' : `unknown schedules subcommand: ${subcommand}`);
}

async function list(args: string[], context: CliContext): Promise<void> {
  const { values } = parseCommand(args, { tenant: { type: 'string' }, json: { type: 'boolean' } });
  const found = await (await context.schedules()).list(values.tenant);
  if (values.json) {
    context.output.out(JSON.stringify(found.map(describeSchedule)));
    return;
  }
  if (found.length === 0) {
    context.output.err('no schedules');
    return;
  }
  const rows = found.map((schedule) => [schedule.id, schedule.tenant, schedule.name, schedule.cron, schedule.timezone, schedule.type, nextRun(schedule)]);
  context.output.out(renderTable(['ID', 'TENANT', 'NAME', 'CRON', 'TIMEZONE', 'TYPE', 'NEXT RUN'], rows));
}

/** Pauses or resumes, as PATCH /v1/schedules/:id does: a resume counts its next tick from now. */
async function setPaused(subcommand: 'pause' | 'resume', args: string[], context: CliContext): Promise<void> {
  const id = scheduleIdOf(subcommand, args);
  const change = { paused: subcommand === 'pause' };
  const now = new Date();
  const updated = await (await context.schedules()).update(id, undefined, (current) => ({ ...change, nextRunAt: rescheduledRunAt(current, change, now) }));
  if (!updated) throw new CommandError(`no schedule ${id}`);
  context.output.out(updated.paused ? `schedule ${id} (${updated.name}) is paused` : `schedule ${id} (${updated.name}) is running; next run ${updated.nextRunAt.toISOString()}`);
}

async function remove(args: string[], context: CliContext): Promise<void> {
  const id = scheduleIdOf('delete', args);
  if (!(await (await context.schedules()).delete(id))) throw new CommandError(`no schedule ${id}`);
  context.output.out(`schedule ${id} is deleted; the jobs it created stay`);
}

function scheduleIdOf(subcommand: string, args: string[]): string {
  const { positionals } = parseCommand(args, {}, true);
  if (positionals.length !== 1) throw new UsageError(`schedules ${subcommand} takes one schedule id (see schedules list)`);
  const [id] = positionals;
  if (!isUuid(id)) throw new CommandError(`${id} is not a schedule id (a UUID)`);
  return id.toLowerCase();
}

function nextRun(schedule: Schedule): string {
  return schedule.paused ? 'paused' : schedule.nextRunAt.toISOString();
}

function describeSchedule(schedule: Schedule) {
  return { ...schedule, nextRunAt: schedule.paused ? null : schedule.nextRunAt.toISOString(), createdAt: schedule.createdAt.toISOString(), updatedAt: schedule.updatedAt.toISOString() };
}
