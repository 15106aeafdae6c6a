import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** The browser build: no Node-only module, and small. */
describe('browser bundle', () => {
  it('bundles for the browser without Node built-ins, minified under 40 KB', async () => {
    const result = await build({
      entryPoints: [resolve(import.meta.dirname, '../src/index.ts')],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.startsWith('node:') || i.includes('/ws/'))).toBe(false);
    const bytes = result.outputFiles[0]?.contents.length ?? 0;
    console.log(`[bundle] @parley/client browser build: ${bytes} bytes minified`);
    expect(bytes).toBeLessThan(40 * 1024);
  });
});
