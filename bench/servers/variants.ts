/**
 * "Before" versions of the hot-path techniques, for the before/after rows of the benchmark: each variant turns one
 * technique off in one Parley server process (bench/servers/parley-variants.ts patches it at start; the server code
 * is untouched), so before and after are measured in the same bench run.
 */
export type VariantScenario = 'fanout' | 'dm-max' | 'dm-latency' | 'dm-half' | 'conn';

/** `optional` ones run only when named with --variants (they showed no difference worth the time by default). */
export const VARIANTS: Record<string, { technique: string; scenarios: VariantScenario[]; optional?: boolean }> = {
  'ws-send': {
    technique: 'frame a broadcast once and write one Buffer per socket per tick (before: ws.send per frame, corked)',
    scenarios: ['fanout'],
  },
  writev: {
    technique: 'one concatenated Buffer per socket per tick (before: each framed Buffer written, corked: writev)',
    scenarios: ['fanout'],
    optional: true,
  },
  'commit-every-turn': {
    technique: 'group commit batches start >= 3 ms apart under load (before: a commit every event-loop turn)',
    scenarios: ['dm-half'],
  },
  'upgrade-closure': {
    technique: "no closure on the upgraded socket that keeps the upgrade's request, URL and head bytes alive",
    scenarios: ['conn'],
  },
  'per-frame-writes': {
    technique: 'coalesce the frames due to a socket within a tick into one write (before: one write per frame)',
    scenarios: ['fanout'],
  },
};
