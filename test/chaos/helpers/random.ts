/**
 * A seeded PRNG (mulberry32) for the random parts of the chaos tests. The seed comes from
 * TEST_CHAOS_SEED when set, so a failing run can be replayed; it is printed either way.
 */
export function seededRandom(label: string): { seed: number; next: () => number; int: (lo: number, hi: number) => number } {
  const seed = process.env.TEST_CHAOS_SEED ? Number(process.env.TEST_CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`${label}: seed ${seed} (replay with TEST_CHAOS_SEED=${seed})`);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
