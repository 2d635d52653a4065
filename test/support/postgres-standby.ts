import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes';
import { queryOnce } from './query-once';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/** Debian's PostgreSQL server binaries (`pg_config --bindir` of the server package). */
export const POSTGRES_BIN_DIR = process.env.TEST_POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/** True where a PostgreSQL server of our own can be started (the binaries are there). */
export const postgresServerInstalled = (): boolean => existsSync(join(POSTGRES_BIN_DIR, 'initdb')) && existsSync(join(POSTGRES_BIN_DIR, 'pg_basebackup'));

/** PostgreSQL refuses to run as root: as root, the clusters run as this user. */
const SERVER_USER = 'postgres';

/**
 * A PostgreSQL primary and a hot standby streaming from it, both of the
 * test's own, on free loopback ports under one temporary directory, so that
 * a test can pause replay, or stop the standby, while the machine's
 * PostgreSQL is left alone. pg_stat_statements is loaded in both, so a test
 * can count where statements ran. Runs the server as `postgres` when the
 * test runs as root.
 */
export class PostgresStandby {
  private standbyRunning = true;

  private constructor(
    private readonly dir: string,
    readonly primaryPort: number,
    readonly standbyPort: number,
  ) {}

  static async create(): Promise<PostgresStandby> {
    const dir = mkdtempSync(join(tmpdir(), 'baton-standby-'));
    const cluster = new PostgresStandby(dir, await freePort(), await freePort());
    try {
      await cluster.initialise();
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  /** A database on the primary (created by createDatabase), or the `postgres` one. */
  primaryUrl(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.primaryPort}/${database}`;
  }

  /** The same database on the standby. */
  standbyUrl(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.standbyPort}/${database}`;
  }

  /** Creates a database on the primary, with pg_stat_statements, and waits until the standby has it too. */
  async createDatabase(name: string): Promise<void> {
    await queryOnce(this.primaryUrl(), `CREATE DATABASE "${name}"`);
    await queryOnce(this.primaryUrl(name), 'CREATE EXTENSION pg_stat_statements');
    await this.caughtUp();
  }

  /** Resolves once the standby has replayed everything the primary has flushed so far. */
  async caughtUp(timeoutMs = 20_000): Promise<void> {
    const [{ position }] = await queryOnce<{ position: string }>(this.primaryUrl(), 'SELECT pg_current_wal_flush_lsn()::text AS position');
    await waitFor(
      `the standby to replay up to ${position}`,
      async () => {
        const [{ replayed }] = await queryOnce<{ replayed: boolean }>(this.standbyUrl(), 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS replayed', [position]);
        return replayed ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** Runs one statement on the primary, in `database`. */
  query<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
    return queryOnce<T>(this.primaryUrl(database), sql, params);
  }

  /** Calls, on the primary or the standby, of the statements in `database` whose text contains `pattern`. */
  async calls(on: 'primary' | 'standby', database: string, pattern: string): Promise<number> {
    const url = on === 'primary' ? this.primaryUrl(database) : this.standbyUrl(database);
    const [{ calls }] = await queryOnce<{ calls: string }>(
      url,
      `SELECT coalesce(sum(calls), 0)::text AS calls FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND strpos(query, $1) > 0`,
      [pattern],
    );
    return Number(calls);
  }

  /** Holds the standby's replay: it keeps receiving WAL but applies none, as a lagging replica does. */
  async pauseReplay(): Promise<void> {
    await queryOnce(this.standbyUrl(), 'SELECT pg_wal_replay_pause()');
    await waitFor('replay to pause', async () => {
      const [{ state }] = await queryOnce<{ state: string }>(this.standbyUrl(), 'SELECT pg_get_wal_replay_pause_state() AS state');
      return state === 'paused' ? true : undefined;
    });
  }

  async resumeReplay(): Promise<void> {
    await queryOnce(this.standbyUrl(), 'SELECT pg_wal_replay_resume()');
  }

  /** Stops the standby at once (`immediate`: connections are cut, as a crash would). */
  async stopStandby(): Promise<void> {
    await this.pgCtl('standby', 'stop', '-m', 'immediate');
    this.standbyRunning = false;
  }

  async startStandby(): Promise<void> {
    await this.pgCtl('standby', 'start');
    this.standbyRunning = true;
  }

  /**
   * Stops every process of the standby (SIGSTOP) without closing a socket:
   * it accepts connections and reads nothing, as a server cut off by the
   * network, or hung, looks to its clients.
   */
  freezeStandby(): void {
    this.signalStandby('SIGSTOP');
  }

  thawStandby(): void {
    this.signalStandby('SIGCONT');
  }

  /** Stops both servers and removes every file. */
  async dispose(): Promise<void> {
    if (this.standbyRunning) this.thawStandby();
    for (const node of ['standby', 'primary'] as const) {
      if (existsSync(join(this.dir, node, 'postmaster.pid'))) await this.pgCtl(node, 'stop', '-m', 'immediate').catch(() => this.killByPidFile(node));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server's log, for a failing test's message. */
  log(node: 'primary' | 'standby'): string {
    const file = join(this.dir, `${node}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  get standbyUp(): boolean {
    return this.standbyRunning;
  }

  private async initialise(): Promise<void> {
    const sockets = join(this.dir, 'sockets');
    mkdirSync(sockets);
    this.giveToServerUser(this.dir);
    this.giveToServerUser(sockets);
    await this.asServerUser('initdb', ['-D', join(this.dir, 'primary'), '-U', 'postgres', '--auth=trust', '--no-sync']);
    appendFileSync(
      join(this.dir, 'primary', 'postgresql.conf'),
      [
        `port = ${this.primaryPort}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${sockets}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'hot_standby = on',
        "shared_preload_libraries = 'pg_stat_statements'",
        // A test's cluster: durability buys nothing here and costs seconds.
        'fsync = off',
        'full_page_writes = off',
        '',
      ].join('\n'),
    );
    appendFileSync(join(this.dir, 'primary', 'pg_hba.conf'), 'host replication postgres 127.0.0.1/32 trust\n');
    await this.pgCtl('primary', 'start');
    await this.asServerUser('pg_basebackup', ['-h', '127.0.0.1', '-p', String(this.primaryPort), '-U', 'postgres', '-D', join(this.dir, 'standby'), '-R', '-X', 'stream', '--no-sync']);
    // The copy brings the primary's settings; the standby differs only in its port.
    appendFileSync(join(this.dir, 'standby', 'postgresql.conf'), `port = ${this.standbyPort}\n`);
    await this.pgCtl('standby', 'start');
    await waitFor('the standby to accept connections', async () => {
      const [{ standby }] = await queryOnce<{ standby: boolean }>(this.standbyUrl(), 'SELECT pg_is_in_recovery() AS standby');
      return standby ? true : undefined;
    });
  }

  private async pgCtl(node: 'primary' | 'standby', action: 'start' | 'stop', ...options: string[]): Promise<void> {
    await this.asServerUser('pg_ctl', ['-D', join(this.dir, node), '-l', join(this.dir, `${node}.log`), '-w', '-t', '60', action, ...options]);
  }

  private async asServerUser(program: string, args: string[]): Promise<void> {
    const binary = join(POSTGRES_BIN_DIR, program);
    const asRoot = process.getuid?.() === 0;
    try {
      await (asRoot ? run('runuser', ['-u', SERVER_USER, '--', binary, ...args], { cwd: this.dir }) : run(binary, args, { cwd: this.dir }));
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`${program} ${args.join(' ')} failed: ${stderr ?? (error as Error).message}`);
    }
  }

  private giveToServerUser(path: string): void {
    if (process.getuid?.() !== 0) return;
    const { uid, gid } = serverUser();
    chownSync(path, uid, gid);
  }

  /** The standby's postmaster (from its pid file) and its children, by their parent in /proc: only processes of this cluster. */
  private signalStandby(signal: NodeJS.Signals): void {
    const postmaster = Number(readFileSync(join(this.dir, 'standby', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          // The parent pid is the field after the state, past the command name in parentheses.
          return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    for (const pid of [postmaster, ...children]) process.kill(pid, signal);
  }

  private killByPidFile(node: 'primary' | 'standby'): void {
    const pid = Number(readFileSync(join(this.dir, node, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

function serverUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${SERVER_USER}:`));
  if (!line) throw new Error(`there is no ${SERVER_USER} user to run PostgreSQL as (PostgreSQL refuses root)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
