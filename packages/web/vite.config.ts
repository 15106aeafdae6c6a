import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The chat app builds to static files in dist/, which the server serves at `/`. The base is relative, so the
 * build also works behind a reverse proxy under a sub-path. `npm run dev -w @parley/web` proxies the API and
 * WebSocket to a server on PARLEY_DEV_SERVER (default http://localhost:3000).
 */
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  server: {
    proxy: {
      '/v1': { target: process.env.PARLEY_DEV_SERVER ?? 'http://localhost:3000', ws: true, changeOrigin: true },
    },
  },
});
