import { type Browser, chromium, type LaunchOptions } from 'playwright-core';
import { debianProgram } from './apt';

/** Debian's Chromium (`apt-get install chromium`): the only browser the tests drive. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Quiet, headless, no background traffic, no first-run UI; no sandbox (tests run as root). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

const INSTALL_HINT = 'install chromium: apt-get install chromium';

/**
 * The Chromium executable. When it is missing and we run as root, installs Debian's package
 * with apt-get (under a lock, so parallel test workers do not race for dpkg); otherwise throws
 * with the command to run. Never skips: a browser test without a browser fails.
 */
export function chromiumPath(): string {
  return debianProgram(CHROMIUM_PATH, 'chromium', INSTALL_HINT);
}

/** Launches headless Chromium through playwright-core (which never downloads a browser itself). */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    headless: true,
    ...options,
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}
