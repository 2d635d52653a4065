/**
 * A real Chromium for the dashboard's browser tests: Debian's `chromium`
 * package (`.ci/run` installs it), driven by playwright-core, which never
 * downloads a browser of its own. One browser per suite, on a fresh profile
 * directory; one context (cookie jar) per user.
 */
import { accessSync, appendFileSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Browser, BrowserContext, BrowserContextOptions, chromium } from 'playwright-core';
import { RUN_DIR_VARIABLE, servicesRequired, SKIPS_FILE, SkipRecord } from './mode';

const INSTALL_HINT = "install Debian's chromium package: apt-get install -y --no-install-recommends chromium";

/** The size the dashboard is designed for, and its screenshots are taken at. */
export const SCREEN = { width: 1280, height: 800 };

// Headless, and quiet: no first-run pages, no update or sync traffic, no
// QUIC probing, so that every request the browser makes is one a test caused.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where `chromium` is on PATH, or undefined. */
export function chromiumPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * describe() for tests that drive Chromium. Without it on PATH they fail
 * under REQUIRE_SERVICES=1 (CI), saying what to install; otherwise they
 * are skipped, and the skip reporter prints why.
 */
export function describeWithChromium(name: string, body: () => void): void {
  if (chromiumPath() !== undefined || servicesRequired()) {
    describe(name, () => {
      beforeAll(() => {
        if (chromiumPath() === undefined) throw new Error(`chromium must be on PATH: ${INSTALL_HINT}`);
      });
      body();
    });
    return;
  }
  const record: Omit<SkipRecord, 'needs'> & { needs: string } = {
    testPath: expect.getState().testPath ?? 'unknown test file',
    name,
    needs: 'Chromium',
    reason: `chromium is not on PATH (${INSTALL_HINT})`,
  };
  const runDir = process.env[RUN_DIR_VARIABLE];
  if (runDir) appendFileSync(join(runDir, SKIPS_FILE), `${JSON.stringify(record)}\n`);
  else process.stderr.write(`skipped (needs Chromium): ${name} — ${record.reason}\n`);
  describe.skip(name, body);
}

export interface TestBrowser {
  browser: Browser;
  /** A context of its own (cookies, storage) at SCREEN size: one per user. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Starts Chromium, headless, on a fresh profile directory. */
export async function launchChromium(): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) throw new Error(`chromium is not on PATH: ${INSTALL_HINT}`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'baton-chromium-'));
  // A persistent context is playwright's way to give Chromium a profile directory; contexts made from its browser are fresh ones.
  const profile = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_ARGS, viewport: SCREEN }).catch((error: unknown) => {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  });
  const browser = profile.browser();
  if (browser === null) throw new Error('playwright gave no browser for the persistent context');
  return {
    browser,
    newContext: (options = {}) => browser.newContext({ viewport: SCREEN, ...options }),
    async close() {
      await profile.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
