import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/** The page: built from client/web into dist/web, which the gateway (server/web) serves. */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: resolve(import.meta.dirname, '..', '..', 'dist', 'web'),
    emptyOutDir: true,
    sourcemap: true,
    // No inline scripts or styles: the Content-Security-Policy allows only files of the page's own origin.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
