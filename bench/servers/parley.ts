import { createApp } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config/config.js';
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { writeHeapSnapshot } from 'node:v8';
import { applyVariant } from './parley-variants.js';
import { serveEventLoopDelay } from './eld.js';

/**
 * Parley for the single-process scenarios: the real app (createApp, as main.ts runs it) with the configuration from
 * the environment, plus a control channel to the bench runner (ready, gc, stop, event-loop delay: eld.ts, CPU profile, heap). BENCH_VARIANT names a hot-path
 * technique to turn off, for the before/after comparison (variants.ts); empty runs Parley as shipped.
 */
applyVariant(process.env.BENCH_VARIANT ?? '');
const app = await createApp(loadConfig(process.env));
const port = await app.start();
process.send?.({ ready: true, port });
serveEventLoopDelay();

// CPU profile of the measured window only (bench --profile): started and stopped by the runner.
const inspector = new Session();
inspector.connect();
const post = (method: string, params?: object) =>
  new Promise<unknown>((resolve, reject) =>
    inspector.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
  );

let profiling: Promise<unknown> = Promise.resolve();
process.on('message', (m: { cmd?: string; file?: string }) => {
  if (m.cmd === 'heap' && m.file) {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    process.send?.({ heap: writeHeapSnapshot(m.file) });
  }
  // Start and stop run in order (a stop arriving while a busy loop is still starting waits for the start), and a
  // failure is reported to the runner rather than crashing the server mid-run.
  if (m.cmd === 'profile-start') {
    profiling = profiling
      .then(() => post('Profiler.enable'))
      .then(() => post('Profiler.setSamplingInterval', { interval: 200 }))
      .then(() => post('Profiler.start'))
      .catch((err: unknown) => process.send?.({ profileError: String(err) }));
  }
  if (m.cmd === 'profile-stop' && m.file) {
    const file = m.file;
    profiling = profiling
      .then(() => post('Profiler.stop'))
      .then((r) => {
        writeFileSync(file, JSON.stringify((r as { profile: unknown }).profile));
        process.send?.({ profiled: file });
      })
      .catch((err: unknown) => process.send?.({ profileError: String(err) }));
  }
  if (m.cmd === 'gc') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.send?.({ gc: true });
  }
  if (m.cmd === 'stop') {
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  }
});
process.on('disconnect', () => process.exit(0));
