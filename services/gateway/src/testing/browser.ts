// The page in a real headless Chromium (Debian's, driven by playwright-core), for the page tests.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../../../../test-results/', import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The page at `baseUrl`, signed in with `apiKey` (the key field, as a person fills it in). */
export async function openSignedIn(page: Page, baseUrl: string, apiKey: string): Promise<void> {
  await page.goto(baseUrl);
  await page.fill('#api-key', apiKey);
  await page.dispatchEvent('#api-key', 'change');
}

/** Keeps a full-page screenshot in test-results/ (CI keeps that folder). */
export async function keepScreenshot(page: Page, name: string): Promise<void> {
  await mkdir(RESULTS, { recursive: true });
  await page.screenshot({ path: `${RESULTS}${name}.png`, fullPage: true });
}

/** Keeps a screenshot of one element (a chart, a view) in test-results/. */
export async function keepElementScreenshot(element: Locator, name: string): Promise<void> {
  await mkdir(RESULTS, { recursive: true });
  await element.screenshot({ path: `${RESULTS}${name}.png` });
}
