import { availableParallelism } from 'node:os';

/**
 * Whether this machine has a core beyond the `busy` ones already at work (saves or worker
 * processes running at once): only then does a second thread per save pay for its copying.
 */
export function hasSpareCore(busy: number): boolean {
  return availableParallelism() > busy;
}
