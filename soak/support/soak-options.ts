export interface SoakOptions {
  /** Minutes of load (warm-up included). */
  minutes: number;
  /** A worker is replaced (SIGTERM) this often, the groups in turn. */
  restartEveryMinutes: number;
  /** Each process's first minutes, and the load's, left out of the trends. */
  warmupMinutes: number;
}

const USAGE = 'usage: npm run soak -- [--minutes N (default 30)] [--restart-every-minutes M (default 2)] [--warmup-minutes W (default N/5, 1 to 5)]\n';

/** Reads the arguments; prints the usage and exits 2 on anything it does not understand. */
export function parseSoakOptions(argv: string[]): SoakOptions {
  const values = new Map<string, number>();
  const refuse = (why: string): never => {
    process.stderr.write(`${why}\n${USAGE}`);
    process.exit(2);
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const match = /^--(minutes|restart-every-minutes|warmup-minutes)(?:=(.*))?$/.exec(arg);
    if (!match) refuse(`unknown argument: ${arg}`);
    const text = match![2] ?? argv[++index];
    const value = Number(text);
    if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value <= 0) refuse(`--${match![1]} takes a positive number of minutes, not ${text}`);
    values.set(match![1], value);
  }
  const minutes = values.get('minutes') ?? 30;
  if (minutes > 24 * 60) refuse('--minutes is at most 1440');
  const restartEveryMinutes = values.get('restart-every-minutes') ?? 2;
  const warmupMinutes = values.get('warmup-minutes') ?? Math.min(5, Math.max(1, minutes / 5));
  if (warmupMinutes >= minutes) refuse(`--warmup-minutes (${warmupMinutes}) must be shorter than --minutes (${minutes}): the trend is fitted after it`);
  return { minutes, restartEveryMinutes, warmupMinutes };
}
