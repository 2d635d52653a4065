import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiKeyService, ApiScope } from '@baton/auth';

export const DEVELOPMENT_TENANT = 'dev';
const KEY_FILE = 'development-api-key';

export interface DevelopmentKey {
  key: string;
  file: string;
  created: boolean;
}

/**
 * The key `npm start` prints: created on the first start (tenant `dev`, admin
 * scope) and kept, readable by the owner only, in the data directory, so
 * that later starts print the same key. Stored hashed in the database like
 * any other; revoking it makes the next start create a new one. Only the
 * standalone development process does this: production processes never
 * create keys by themselves.
 */
export async function developmentKey(apiKeys: ApiKeyService, dataDir: string): Promise<DevelopmentKey> {
  const file = join(dataDir, KEY_FILE);
  const saved = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (saved && (await apiKeys.authenticate(saved))) return { key: saved, file, created: false };
  const { key } = await apiKeys.create({ tenant: DEVELOPMENT_TENANT, scopes: [ApiScope.Admin], name: 'development key (npm start)' });
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { key, file, created: true };
}

/** What `npm start` prints for a developer: the key, a request to paste, and where the dashboard is. */
export function developmentKeyBanner({ key, file, created }: DevelopmentKey, port: number): string {
  return [
    '',
    `Development API key (tenant ${DEVELOPMENT_TENANT}, scope admin)${created ? ', created now' : ''}; kept in ${file}:`,
    '',
    `  ${key}`,
    '',
    'Try it:',
    '',
    `  curl -i http://localhost:${port}/v1/workouts \\`,
    `    -H 'Authorization: Bearer ${key}' \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -d '{"userId":"user-42","activity":"run","startedAt":"2026-11-20T07:30:00Z","durationSec":1800}'`,
    '',
    `Dashboard: http://localhost:${port}/dashboard (sign in with this key)`,
    '',
  ].join('\n');
}
