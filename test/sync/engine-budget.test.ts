import { expect, it } from 'vitest';
import type { UploadBudget } from '../../src/backend/upload-budget.js';
import { harness } from '../helpers/engine-harness.js';

/**
 * A budget that gives this process one turn per `spacingMs` (the shared bucket, as one daemon
 * sees it); `take` before the turn waits for it (moving the fake clock), as the transport does.
 */
function turnEvery(spacingMs: number, clock: { now(): number; advance(ms: number): void }) {
  const now = () => clock.now();
  const state = { nextAt: now(), asked: 0, taken: 0, waitedInTake: 0 };
  const budget: UploadBudget = {
    readyInMs: () => {
      state.asked++;
      return Promise.resolve(Math.max(0, state.nextAt - now()));
    },
    take: () => {
      if (state.nextAt > now()) {
        state.waitedInTake++;
        clock.advance(state.nextAt - now());
      }
      state.taken++;
      state.nextAt = now() + spacingMs;
      return Promise.resolve(undefined);
    },
    onRateLimited: () => Promise.resolve(),
    onServerRemaining: () => Promise.resolve(),
  };
  return { budget, state };
}

function withBudget(spacingMs: number) {
  const h = harness();
  const { budget, state } = turnEvery(spacingMs, h.clock);
  // What the HTTP transport does: every chunk spends a turn.
  const chunk = h.backend.chunk.bind(h.backend);
  Object.assign(h.backend, {
    budget,
    chunk: async (...args: Parameters<typeof chunk>) => {
      await budget.take();
      return chunk(...args);
    },
  });
  return { h, state };
}

it('holds lines back until the turn, then sends everything appended meanwhile in one request', async () => {
  const { h, state } = withBudget(18_000);
  h.write('{"n":1}\n');
  await h.engine.syncAll('startup');
  expect(h.backend.stats.chunk).toBe(1);

  h.append('{"n":2}\n');
  const held = await h.engine.syncAll('watch');
  expect(held.complete).toBe(false);
  expect(held.nextCycleInMs).toBe(18_000);
  h.clock.advance(5_000);
  h.append('{"n":3}\n{"n":4}\n');
  expect((await h.engine.syncAll('watch')).nextCycleInMs).toBe(13_000);
  expect(h.backend.stats.chunk).toBe(1);

  h.clock.advance(13_000);
  const sent = await h.engine.syncAll('interval');
  expect(sent.complete).toBe(true);
  expect(h.backend.stats.chunk).toBe(2);
  expect(sent.files[0]?.lines).toBe(3);
  expect(state.taken).toBe(2);
  // The cycles never blocked on the budget: they came back at the turn.
  expect(state.waitedInTake).toBe(0);
  h.expectSynced();
});

it('reserves no turn for a file that holds no new complete line', async () => {
  const { h, state } = withBudget(18_000);
  h.write('{"n":1}\n');
  await h.engine.syncAll('startup');
  const asked = state.asked;
  h.append('{"n":2,"partial":');
  expect((await h.engine.syncAll('watch')).complete).toBe(true);
  expect(state.asked).toBe(asked);
});

it('a final sync is not held back: it waits for its turn in the request and sends', async () => {
  const { h, state } = withBudget(18_000);
  h.write('{"n":1}\n');
  await h.engine.syncAll('startup');
  h.append('{"n":2}\n');
  expect((await h.engine.syncAll('final')).complete).toBe(true);
  expect(state.waitedInTake).toBe(1);
  h.expectSynced();
});
