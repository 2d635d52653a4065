import { rmSync } from 'node:fs';
import { RUN_DIR_VARIABLE } from './mode';

/** Removes the run's own directory (the PGlite template, the list of skipped tests) once the reporters are done with it. */
export default async function globalTeardown(): Promise<void> {
  const runDir = process.env[RUN_DIR_VARIABLE];
  if (runDir) rmSync(runDir, { recursive: true, force: true });
}
