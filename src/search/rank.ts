/**
 * BM25 over a bounded set of candidate matches (the newest ones: see docs/search.md). FTS5's own
 * `bm25()` reads the whole document list of every term to count the documents it occurs in, so a
 * common word costs the same whatever the page; here the statistics come from the candidates
 * themselves and from a count over the candidates' row range.
 */

/** Term-frequency saturation and length normalisation: the usual BM25 constants (FTS5's too). */
const K1 = 1.2;
const B = 0.75;

export interface Candidate {
  /** Entry id (the FTS rowid). */
  id: number;
  /** Length of the entry's text, in UTF-8 bytes (the index keeps no token counts). */
  length: number;
  /** How often each query term occurs in the entry's text, in query term order. */
  freqs: readonly number[];
}

/** Inverse document frequency of a term found in `docs` of `total` entries (never negative, as in FTS5). */
export function idf(docs: number, total: number): number {
  return Math.log((total - docs + 0.5) / (docs + 0.5) + 1);
}

/**
 * Each candidate's BM25 score (higher is better), in candidate order. `weights` are the terms'
 * IDFs; the average length is the candidates' own.
 */
export function bm25Scores(candidates: readonly Candidate[], weights: readonly number[]): number[] {
  if (candidates.length === 0) return [];
  let sum = 0;
  for (const c of candidates) sum += c.length;
  const avg = Math.max(1, sum / candidates.length);
  return candidates.map((c) => {
    const norm = K1 * (1 - B + (B * c.length) / avg);
    let score = 0;
    for (let t = 0; t < weights.length; t++) {
      const f = Math.max(1, c.freqs[t] ?? 1);
      score += weights[t]! * ((f * (K1 + 1)) / (f + norm));
    }
    return score;
  });
}
