import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/**
 * Runs a seed README's example code exactly as printed (a fixture file), the way a browser page would: the
 * globals it uses (WebSocket, timers, console, Notification, React's hooks) are handed in, `import` lines are
 * satisfied from those globals, and the README's placeholders (its server address, "your_jwt_token_here") are
 * filled in as its readers are told to. Nothing else of the code changes. Returns the named top-level bindings.
 */
export function runSeedScript<T>(
  fixture: string,
  options: { globals: Record<string, unknown>; exports: string[]; fill?: Record<string, string> },
): T {
  let code = readFileSync(join(FIXTURES, fixture), 'utf8');
  code = code.replace(/^import\s+\{[^}]*\}\s+from\s+'[^']+';\s*$/gm, '');
  for (const [placeholder, value] of Object.entries(options.fill ?? {})) code = code.split(placeholder).join(value);
  const names = Object.keys(options.globals);
  const run = new Function(...names, `${code}\nreturn { ${options.exports.join(', ')} };`);
  return run(...names.map((n) => options.globals[n])) as T;
}

export type Frame = Record<string, unknown> & { type?: string };

/**
 * What a page gives the seed code: a WebSocket (the `ws` package, recording every frame it receives), timers
 * that are cleared when the test ends, and a console whose output the test can read.
 */
export class ScriptEnv {
  readonly logs: unknown[][] = [];
  readonly sockets: (WebSocket & { received: Frame[] })[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  globals(): Record<string, unknown> {
    const env = this;
    class PageWebSocket extends WebSocket {
      received: Frame[] = [];
      constructor(url: string) {
        super(url);
        env.sockets.push(this);
        this.on('message', (data) => this.received.push(JSON.parse(data.toString()) as Frame));
      }
    }
    const track = <T extends ReturnType<typeof setTimeout>>(t: T) => {
      this.timers.add(t);
      return t;
    };
    const record = (...args: unknown[]) => this.logs.push(args);
    return {
      WebSocket: PageWebSocket,
      setInterval: (fn: () => void, ms: number) => track(setInterval(fn, ms)),
      setTimeout: (fn: () => void, ms: number) => track(setTimeout(fn, ms)),
      clearInterval: (t: ReturnType<typeof setInterval>) => clearInterval(t),
      clearTimeout: (t: ReturnType<typeof setTimeout>) => clearTimeout(t),
      console: { log: record, error: record, warn: record, info: record, debug: record },
    };
  }

  /** The arguments of every console line that starts with `prefix`. */
  logged(prefix: string): unknown[][] {
    return this.logs.filter((l) => l[0] === prefix);
  }

  /** Stops the page: its timers (reconnects, heartbeats) and its sockets. */
  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.terminate();
  }
}

export async function until(cond: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
