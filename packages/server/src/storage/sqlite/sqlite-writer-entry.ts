import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

let bundled: URL | null = null;

/**
 * Where the writer thread's code is. The compiled build has `sqlite-writer-worker.js` beside this file. Run from
 * TypeScript sources (development, tests), the worker is bundled once per process with esbuild (which tsx already
 * brings) into a module of its own: a TypeScript loader inside each worker costs about a second per start.
 */
export function writerWorkerUrl(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./sqlite-writer-worker.js', import.meta.url);
  if (bundled) return bundled;
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  const out = esbuild.buildSync({
    entryPoints: [new URL('./sqlite-writer-worker.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    write: false,
    logLevel: 'silent',
  });
  const driver = JSON.stringify(pathToFileURL(require.resolve('better-sqlite3')).href);
  const code = (out.outputFiles[0] as { text: string }).text.replace(/(from\s*)"better-sqlite3"/g, `$1${driver}`);
  if (!code.includes(driver)) throw new Error('sqlite writer bundle: the better-sqlite3 import was not found');
  bundled = new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  return bundled;
}
