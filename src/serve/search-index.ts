import { existsSync } from 'node:fs';
import type { SessionStore } from '../store/session-store.js';
import type { Logger } from '../log.js';
import { indexPathFor, SearchIndex } from '../search/index-db.js';
import { QuerySyntaxError } from '../search/query.js';
import { updateIndex } from '../search/rebuild.js';
import { rankedSessions, snippetRange } from '../search/session-search.js';
import { configuredPrices } from '../config/prices.js';
import { usageReport, type UsageGroup, type UsageReport } from '../usage/report.js';

/** One page of the viewer's search: every matching session, best first, and the best hit of those on the page. */
export interface IndexedSessionSearch {
  sessionIds: string[];
  hits: Map<string, { where: 'content'; fileName: string; line: number; snippet: { text: string; matchStart: number; matchEnd: number } }>;
}

export interface ViewerSearchIndex {
  /** undefined while the index is not ready (the viewer scans instead); throws QuerySyntaxError on a bad query. */
  search(owner: string, query: string, offset: number, pageSize: number): IndexedSessionSearch | undefined;
  /** Usage of the owner's sessions grouped these ways; undefined while the index is not ready. */
  usage(owner: string, groups: readonly UsageGroup[]): Map<UsageGroup, UsageReport> | undefined;
}

/**
 * The viewer's search over the store's index. At start the index catches up with the store (built
 * whole when there is none); until it has, the viewer keeps its scanning search. Each query opens
 * the index briefly, so a `confab index rebuild` that replaces the file is seen at once.
 */
export function viewerSearchIndex(store: SessionStore, storeDir: string, log?: Logger): ViewerSearchIndex & { ready: Promise<void> } {
  const path = indexPathFor(storeDir);
  let ready = false;
  const catchUp = updateIndex(store, path)
    .then(() => {
      ready = true;
    })
    .catch((err: unknown) => {
      log?.warn('search index unavailable; the viewer scans transcripts instead', { error: err instanceof Error ? err.message : String(err) });
    });
  return {
    ready: catchUp,
    search(owner, query, offset, pageSize) {
      if (!ready || !existsSync(path)) return undefined;
      const index = SearchIndex.open(path);
      try {
        const ranked = rankedSessions(index.db, query, owner);
        const sessionIds = ranked.sessionIds;
        const page = sessionIds.slice(offset, offset + pageSize);
        const hits: IndexedSessionSearch['hits'] = new Map();
        for (const [id, h] of ranked.hits(page)) hits.set(id, { where: 'content', fileName: h.file_name, line: h.line, snippet: snippetRange(h.snippet) });
        return { sessionIds, hits };
      } finally {
        index.close();
      }
    },
    usage(owner, groups) {
      if (!ready || !existsSync(path)) return undefined;
      const prices = configuredPrices();
      const index = SearchIndex.open(path);
      try {
        return new Map(groups.map((g) => [g, usageReport(index.db, prices, g, { owner })]));
      } finally {
        index.close();
      }
    },
  };
}

export { QuerySyntaxError };
