import type { EffectSql } from './job-execution.repository';

/**
 * Inserts rows in one statement per chunk: one round trip for a workout's
 * 500 sets instead of 500. Chunks stay under PostgreSQL's limit of 65,535
 * bind parameters per statement.
 */
export async function insertRows(sql: EffectSql, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  const maxRows = Math.floor(65_535 / columns.length);
  for (let start = 0; start < rows.length; start += maxRows) {
    const chunk = rows.slice(start, start + maxRows);
    const tuples = chunk.map((_, row) => `(${columns.map((__, column) => `$${row * columns.length + column + 1}`).join(', ')})`);
    await sql.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, chunk.flat());
  }
}
