#!/usr/bin/env node
// Entry point of the `sluice` command. An installed package holds no TypeScript and runs the JavaScript compiled into
// dist/ (`npm run build`, run by `npm pack`); a checkout runs its TypeScript sources through tsx's loader, so a stale
// dist/ never hides an edit (SLUICE_COMPILED=1 runs dist/ in a checkout, to try the build).
import { existsSync } from 'node:fs';

const source = new URL('../cli/sluice.ts', import.meta.url);
if (existsSync(source) && process.env.SLUICE_COMPILED !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/sluice.js', import.meta.url).href);
}
