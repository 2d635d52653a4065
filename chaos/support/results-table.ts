import { ScenarioResult } from './scenario';

const HEADERS = ['scenario', 'accepted', 'completed', 'dead (expected)', 'lost', 'applied twice', 'longest wait (s)', 'longest stall (s)', 'drain (s)', 'result', 'notes'];

function cells(result: ScenarioResult): string[] {
  const m = result.measurement;
  const dash = '—';
  return [
    `${result.id}. ${result.title}`,
    m ? String(m.accepted) : dash,
    m ? String(m.completed) : dash,
    m ? `${m.dead} (${m.expectedDead})` : dash,
    m ? String(m.lost) : dash,
    m ? String(m.appliedTwice) : dash,
    m?.longestWaitSeconds !== undefined ? m.longestWaitSeconds.toFixed(1) : dash,
    m?.longestStallSeconds !== undefined ? m.longestStallSeconds.toFixed(1) : dash,
    result.drainSeconds !== undefined ? result.drainSeconds.toFixed(1) : 'not drained',
    result.ok ? 'ok' : 'FAIL',
    result.notes.join('; '),
  ];
}

export interface RunSummary {
  mode: string;
  seed: number;
  seconds: number;
  results: ScenarioResult[];
}

function heading(summary: RunSummary): string {
  const failed = summary.results.filter((result) => !result.ok).length;
  return `Baton chaos run — mode ${summary.mode}, seed ${summary.seed}, ${summary.seconds.toFixed(0)} s, ${failed === 0 ? 'all scenarios passed' : `${failed} scenario(s) FAILED`}`;
}

/** The table as plain text, for the terminal. */
export function textTable(summary: RunSummary): string {
  const rows = [HEADERS, ...summary.results.map(cells)];
  const widths = HEADERS.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const numeric = new Set([1, 2, 3, 4, 5, 6, 7, 8]);
  const line = (row: string[]) =>
    row.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join(' | ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  return [heading(summary), '', line(HEADERS), rule, ...rows.slice(1).map(line), '', ...failureLines(summary)].join('\n');
}

/** The same, as Markdown. */
export function markdownTable(summary: RunSummary): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [
    `# ${heading(summary)}`,
    '',
    `Reproduce the harness's choices with \`npm run chaos -- --${summary.mode} --seed=${summary.seed}\`.`,
    '',
    `| ${HEADERS.join(' | ')} |`,
    `|${HEADERS.map((_, column) => (column >= 1 && column <= 8 ? '---:' : '---')).join('|')}|`,
    ...summary.results.map((result) => `| ${cells(result).map(escape).join(' | ')} |`),
    '',
  ];
  const failures = failureLines(summary);
  if (failures.length > 0) lines.push('## Failures', '', '```', ...failures, '```', '');
  return lines.join('\n');
}

function failureLines(summary: RunSummary): string[] {
  return summary.results
    .filter((result) => result.failures.length > 0)
    .flatMap((result) => [`${result.id}. ${result.title}:`, ...result.failures.map((failure) => `  - ${failure}`)]);
}
