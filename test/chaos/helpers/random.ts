import { rng } from '../../../bench/lib/fake-secrets.mjs';

/**
 * A seeded PRNG (mulberry32) for the random parts of the chaos tests. The seed comes from
 * TEST_CHAOS_SEED when set, so a failing run can be replayed; it is printed either way.
 */
export function seededRandom(label: string): { seed: number; next: () => number; int: (lo: number, hi: number) => number } {
  const seed = process.env.TEST_CHAOS_SEED ? Number(process.env.TEST_CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`${label}: seed ${seed} (replay with TEST_CHAOS_SEED=${seed})`);
  const next = rng(seed);
  return { seed, next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
