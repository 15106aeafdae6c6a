import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.js';

/** Refuses passwords that are easy to guess; the caller's other inputs (username, display name) count as guessable. */
export interface PasswordStrength {
  /** Resolves when the password is strong enough; throws WEAK_PASSWORD (field `password`) with advice otherwise. */
  check(password: string, userInputs: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Only the first characters are scored: the estimate's cost grows steeply with length, and longer is stronger. */
const SCORED_CHARS = 32;
/** Checks waiting for the estimator; beyond this, OVERLOADED. */
const MAX_WAITING = 256;

/** The estimator, run in a worker thread of its own: scoring a hostile password takes long enough to stall a turn. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { ZxcvbnFactory } = require(workerData.core);
const common = require(workerData.common);
const en = require(workerData.en);
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary },
  graphs: common.adjacencyGraphs,
  translations: en.translations,
  maxLength: workerData.maxLength,
});
parentPort.on('message', ({ id, password, inputs }) => {
  const r = zxcvbn.check(password, inputs);
  parentPort.postMessage({ id, score: r.score, warning: r.feedback.warning, suggestions: r.feedback.suggestions });
});
`;

type Verdict = { id: number; score: number; warning: string | null; suggestions: string[] };

/**
 * zxcvbn (zxcvbn-ts, common-password and keyboard-pattern dictionaries) with a minimum score from 0 (any
 * password) to 4. Scores: 0 too guessable, 1 very guessable, 2 somewhat guessable, 3 safely unguessable, 4 very
 * unguessable. With minScore 0 nothing is checked and no worker is started.
 */
export function zxcvbnStrength(minScore: number): PasswordStrength {
  if (minScore <= 0) return { check: async () => {}, close: async () => {} };
  let worker: Worker | null = null;
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: Verdict) => void; reject: (e: unknown) => void }>();

  function start(): Worker {
    const require = createRequire(import.meta.url);
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        core: require.resolve('@zxcvbn-ts/core'),
        common: require.resolve('@zxcvbn-ts/language-common'),
        en: require.resolve('@zxcvbn-ts/language-en'),
        maxLength: SCORED_CHARS,
      },
    });
    w.unref();
    w.on('message', (v: Verdict) => {
      waiting.get(v.id)?.resolve(v);
      waiting.delete(v.id);
    });
    const fail = (err: unknown) => {
      for (const p of waiting.values()) p.reject(err);
      waiting.clear();
      worker = null;
    };
    w.on('error', fail);
    w.on('exit', () => fail(new AppError('UNAVAILABLE', 'The password checker stopped; retry')));
    return w;
  }

  return {
    async check(password, userInputs) {
      if (waiting.size >= MAX_WAITING) {
        throw new AppError('OVERLOADED', 'Too many passwords are being checked right now; retry shortly', {
          retryAfterMs: 1000,
        });
      }
      worker ??= start();
      const id = nextId++;
      const verdict = await new Promise<Verdict>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker?.postMessage({ id, password, inputs: userInputs.filter((s) => s.length > 0) });
      });
      if (verdict.score >= minScore) return;
      const advice = [verdict.warning, ...verdict.suggestions].filter((s): s is string => !!s).join(' ');
      throw new AppError('WEAK_PASSWORD', `The password is too easy to guess.${advice ? ` ${advice}` : ''}`, {
        field: 'password',
      });
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
