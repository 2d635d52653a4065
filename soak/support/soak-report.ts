import { Account } from './soak-accounting';
import { formatValue, SeriesVerdict } from './series-verdicts';
import { SoakOptions } from './soak-options';

export interface SoakReport {
  options: SoakOptions;
  seconds: number;
  rates: Record<string, number>;
  restarts: string[];
  /** Requests sent, and answered with something else than 202 (or not at all). */
  sent: number;
  refused: number;
  drainSeconds: number;
  missedScrapes: number;
  peakSessions: number;
  sessionsAllowed: number;
  verdicts: SeriesVerdict[];
  accounts: Account[];
  failures: string[];
}

const SERIES_HEADERS = ['series', 'unit', 'lifetimes', 'samples', 'start', 'end', 'slope /h', 'growth', 'allowed', 'verdict'];
const ACCOUNT_HEADERS = ['work', 'expected', 'completed', 'lost', 'applied twice', 'notes'];

function seriesRow(entry: SeriesVerdict): string[] {
  const f = (value: number | undefined) => formatValue(value, entry.unit);
  return [entry.series, entry.unit, String(entry.lifetimes), String(entry.points), f(entry.start), f(entry.end), f(entry.slopePerHour), f(entry.growth), f(entry.allowed), entry.ok ? 'ok' : 'FAIL'];
}

function accountRow(entry: Account): string[] {
  return [entry.kind, String(entry.accepted), String(entry.completed), String(entry.lost), String(entry.appliedTwice), entry.notes.join('; ')];
}

function heading(report: SoakReport): string {
  const { minutes, restartEveryMinutes, warmupMinutes } = report.options;
  return (
    `Baton soak — ${minutes} min of load (${Object.entries(report.rates).map(([kind, rate]) => `${rate}/s ${kind}`).join(', ')}), ` +
    `${report.restarts.length} worker replacement(s) (every ${restartEveryMinutes} min), ${warmupMinutes} min warm-up, ${report.seconds.toFixed(0)} s in all; ` +
    `${report.sent} requests, ${report.refused} not accepted; drained in ${report.drainSeconds.toFixed(1)} s; peak PostgreSQL sessions of one process ${report.peakSessions} (allowed ${report.sessionsAllowed}); ` +
    `${report.missedScrapes} missed scrape(s) — ${report.failures.length === 0 ? 'PASSED' : 'FAILED'}`
  );
}

function text(rows: string[][], numericFrom: number): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => (column >= numericFrom && column < row.length - 1 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join(' | ').trimEnd();
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('-+-'), ...rows.slice(1).map(line)].join('\n');
}

function markdown(rows: string[][]): string {
  return [`| ${rows[0].join(' | ')} |`, `|${rows[0].map(() => '---').join('|')}|`, ...rows.slice(1).map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function failureLines(report: SoakReport): string {
  return report.failures.length === 0 ? '' : `\nFailures:\n${report.failures.map((failure) => `- ${failure}`).join('\n')}\n`;
}

/** The report as plain text, for the terminal. */
export function textReport(report: SoakReport): string {
  return `${heading(report)}\n\n${text([SERIES_HEADERS, ...report.verdicts.map(seriesRow)], 2)}\n\n${text([ACCOUNT_HEADERS, ...report.accounts.map(accountRow)], 1)}\n${failureLines(report)}`;
}

/** The report as Markdown, for soak/results/latest.md and the docs. */
export function markdownReport(report: SoakReport): string {
  return `${heading(report)}\n\n${markdown([SERIES_HEADERS, ...report.verdicts.map(seriesRow)])}\n\n${markdown([ACCOUNT_HEADERS, ...report.accounts.map(accountRow)])}\n${failureLines(report)}`;
}
