/**
 * The live wallboard in headless Chromium (Debian's package, as `test/integration/wallboard.browser.test.ts`):
 * what a screen pointed at one instance shows — per skill group its name, agents logged in and level badge.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); `SLUICE_CHROMIUM` points elsewhere. */
export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';

// The page's DOM as far as the checks read it (the project compiles without the DOM library).
interface El {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): El | null;
}
declare const document: { body: El; querySelectorAll(selector: string): Iterable<El> };

/** Starts Chromium; throws naming what to install when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `topology wallboard: no Chromium at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium) or point SLUICE_CHROMIUM at a Chromium binary.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM });
}

/** What one screen shows once live with `groups` skill groups: per group its level badge and agents line. */
export async function wallboardOf(
  browser: Browser,
  url: string,
  key: string,
  groups: number,
): Promise<Record<string, { level: string; agents: string; waiting: string }>> {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  try {
    await page.goto(`${url}/wallboard#key=${key}`);
    await page.waitForFunction(
      (n) =>
        document.body.dataset.conn === 'live' &&
        [...document.querySelectorAll('.group')].length === n &&
        [...document.querySelectorAll('.group')].every((g) => /^L[0-3] /.test(g.querySelector('.level-badge')?.textContent ?? '')),
      groups,
      { timeout: 30_000 },
    );
    return await page.evaluate(() => {
      const out: Record<string, { level: string; agents: string; waiting: string }> = {};
      for (const g of document.querySelectorAll('.group')) {
        out[g.dataset.skillGroup!] = {
          level: g.querySelector('.level-badge')?.textContent ?? '',
          agents: g.querySelector('.agents-total')?.textContent ?? '',
          waiting: g.querySelector('[data-kpi="waiting"] .kpi-value')?.textContent ?? '',
        };
      }
      return out;
    });
  } finally {
    await page.close();
  }
}
