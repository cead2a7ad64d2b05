import { CONFAB_BIN, freePort, waitFor, type Sandbox } from '../helpers/sandbox.js';

export interface ServeProcess {
  url: string;
  stop: () => void;
  output: () => string;
}

/** `confab serve` (the built CLI) on a free port, once it says where it listens. */
export async function startServe(sbx: Sandbox, args: string[] = []): Promise<ServeProcess> {
  const port = await freePort();
  const child = sbx.spawn(process.execPath, [CONFAB_BIN, 'serve', '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b));
  child.stderr?.on('data', (b: Buffer) => (out += b));
  // The whole banner (its last line is the log's place): stdout reaches the pipe in pieces.
  const url = await waitFor(() => (/\n {2}log: /.test(out) ? /confab serve: (\S+)/.exec(out)?.[1] : undefined), { what: `confab serve to listen (${out})`, timeoutMs: 15_000 });
  return { url, stop: () => child.kill('SIGTERM'), output: () => out };
}
