/**
 * Headless Chromium from Debian (`chromium`, installed by scripts/setup.js) driven by
 * playwright-core, for the browser tests and the README's screenshots. No browser download:
 * playwright-core only speaks the DevTools protocol to the system's binary.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Why the browser cannot run here, or undefined when it can. */
export const chromiumMissing = (): string | undefined => (existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: sudo apt-get install chromium (npm test installs it when run as root)`);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}
