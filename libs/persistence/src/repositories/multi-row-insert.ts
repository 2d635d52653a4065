import type { EffectSql } from './job-execution.repository';

/**
 * Inserts rows in one statement per chunk: one round trip for a workout's
 * 500 sets instead of 500. Chunks stay under PostgreSQL's limit of 65,535
 * bind parameters per statement. `tail` follows each chunk's VALUES (an
 * `ON CONFLICT … RETURNING …`); the rows it returns are returned, in order.
 */
export async function insertRows<T = unknown>(sql: EffectSql, table: string, columns: readonly string[], rows: readonly unknown[][], tail = ''): Promise<T[]> {
  const maxRows = Math.floor(65_535 / columns.length);
  const returned: T[] = [];
  for (let start = 0; start < rows.length; start += maxRows) {
    const chunk = rows.slice(start, start + maxRows);
    const tuples = chunk.map((_, row) => `(${columns.map((__, column) => `$${row * columns.length + column + 1}`).join(', ')})`);
    returned.push(...(await sql.query<T>(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ${tail}`, chunk.flat())));
  }
  return returned;
}
