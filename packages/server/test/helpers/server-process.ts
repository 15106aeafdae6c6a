import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { TEST_SECRET } from './host-token.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stdout: string[];
}

/** Starts the real server entry point (what `npm start` runs) as a child process and waits for its URL. */
export function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PARLEY_JWT_SECRET: TEST_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolvePromise, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stdout.join('\n')}`)), 15_000);
    child.stderr?.on('data', (d) => stdout.push(String(d)));
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        const m = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          const url = (m[1] as string).replace('localhost', '127.0.0.1');
          resolvePromise({ child, port: Number(new URL(url).port), url, exited, stdout });
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stdout.join('\n')}`));
    });
  });
}
