import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The studio's bundle: `studio/index.html` and `studio/src/` built into `studio/dist/`, served by
 * `app/routes/studio.ts` under `/studio/`. Everything is bundled (React, React Flow, elkjs and their
 * styles): the page loads nothing from another origin.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/studio/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4_000,
    modulePreload: { polyfill: false },
  },
});
