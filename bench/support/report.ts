import { BenchRow } from './bench-row';
import { Figure } from './stats';

export interface BenchReport {
  size: string;
  machine: string;
  startedAt: string;
  seconds: number;
  rows: BenchRow[];
}

const number = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const spread = (figure: Figure) => (figure.rounds > 1 ? `${number(figure.median)} (${number(figure.min)}–${number(figure.max)})` : number(figure.median));

function cells(row: BenchRow): string[] {
  return [
    `${row.scenario}: ${row.metric}`,
    `${spread(row.baton)} ${row.unit}`,
    row.baseline ? `${row.baseline.name}: ${spread(row.baseline.figure)}` : '',
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)} ×`,
    row.target,
    row.target === 'reported' ? '' : row.met ? 'met' : 'NOT met',
  ];
}

const HEADERS = ['scenario', 'Baton (median, min–max)', 'baseline', 'ratio', 'target', ''];

/** The rows' notes (failed requests, say), one line each, under the table. */
function notes(report: BenchReport): string[] {
  const noted = report.rows.filter((row) => row.note);
  return noted.length === 0 ? [] : ['', ...noted.map((row) => `- ${row.scenario}: ${row.metric}: ${row.note}`)];
}

export function textReport(report: BenchReport): string {
  const rows = report.rows.map(cells);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column])).join(' | ').trimEnd();
  return [
    `Baton benchmark — ${report.size}, ${report.machine}, ${report.seconds.toFixed(0)} s`,
    '',
    line(HEADERS),
    widths.map((width) => '-'.repeat(width)).join('-+-'),
    ...rows.map(line),
    ...notes(report),
  ].join('\n');
}

export function markdownReport(report: BenchReport): string {
  const rows = report.rows.map(cells);
  return [
    `Baton benchmark — ${report.size}, ${report.machine}, ${report.startedAt}, ${report.seconds.toFixed(0)} s`,
    '',
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    ...notes(report),
    '',
  ].join('\n');
}
