import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers/seed-script.js';

/** Where the seed documents live in this workspace (outside the repository; absent elsewhere). */
const SEEDS = process.env.PARLEY_SEEDS_DIR ?? join(FIXTURES, '..', '..', '..', '..', '..', '..', 'shared', 'seeds');

describe('seed fixtures', () => {
  it.skipIf(!existsSync(SEEDS))('each fixture is code printed in its seed README, unchanged', () => {
    const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.js.txt'));
    expect(fixtures.length).toBe(3);
    for (const fixture of fixtures) {
      const seedNumber = fixture.slice(4, 7);
      const seedFile = readdirSync(SEEDS).find((f) => f.startsWith(`${seedNumber}_`)) as string;
      const seed = readFileSync(join(SEEDS, seedFile), 'utf8');
      const code = readFileSync(join(FIXTURES, fixture), 'utf8')
        .split('\n')
        .filter((line, i) => !(i < 2 && line.startsWith('// Seed ')) && !(i < 2 && line.startsWith('// Run by')))
        .join('\n');
      expect(seed.includes(code.trimEnd()), `${fixture} is verbatim from ${seedFile}`).toBe(true);
    }
  });
});
