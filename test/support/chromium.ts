/**
 * Debian's Chromium driven by playwright-core, headless, with a fresh profile per test that is removed afterwards.
 * Networking features that would reach the internet are off: tests only ever talk to loopback servers.
 */
import type { ExecutionContext } from 'ava';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tempDir } from './temp-dir.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, for asserting a page ran clean. */
  errors: string[];
}

export async function openChromium(t: ExecutionContext, viewport = { width: 1400, height: 900 }): Promise<ChromiumSession> {
  const profile = await tempDir(t, 'quancun-chromium-');
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: ARGS, viewport });
  // Registered after tempDir's teardown, so it runs first: the profile is removed only once Chromium has exited.
  t.teardown(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}
