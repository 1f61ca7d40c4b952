/// <reference types="node" />
// `npm run build -w services/console` → dist/, which the curator serves at /console/ under
// `Content-Security-Policy: default-src 'self'`: no inline script or style, no data: URLs.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  // esbuild compiles the TSX (automatic runtime); no Babel plugin needed without fast refresh.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Assets as files, never inlined as data: URLs (the CSP would block them).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  // `npm run dev -w services/console`: the API calls go to a running curator.
  server: { proxy: { '/v1': process.env.CURATOR_URL ?? 'http://127.0.0.1:8082' } },
});
