/** Renders rows as a plain-text table with a header, columns padded to their widest cell. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** A time to the minute, in UTC: enough to read a table by. */
export function isoMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16)}Z`;
}

// An error in a table stays on one line, cut to a width a terminal shows.
const TEXT_COLUMN = 60;

/** Text for one table cell: whitespace folded, cut with an ellipsis past TEXT_COLUMN characters. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > TEXT_COLUMN ? `${flat.slice(0, TEXT_COLUMN - 1)}…` : flat;
}
