import { Flags } from '@oclif/core';
import { join, resolve } from 'node:path';
import { createLogAppender } from '../../log.js';
import { logDir } from '../../paths.js';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, startServer } from '../../serve/serve.js';
import { CommandError, ConfabCommand } from '../confab-command.js';

export default class Serve extends ConfabCommand {
  static override description = `Serve the embedded store over confab-web's HTTP API, with a web viewer at /.

Other machines (or this one's daemons) sync to it by pointing backend_url at the printed URL with a key from \`confab serve keys create\`. Binds loopback unless told otherwise; every API route and the viewer require a key.

Logs one line per request and per failure (method, path, status, time, client address, user; never a key, cookie, body, query string or shared-link token) to ~/.confab/logs/serve.log, or where --log-file says.

Behind a reverse proxy (nginx, Caddy, a load balancer), pass --trust-proxy: the client address then comes from the proxy's X-Forwarded-For (for rate limits and failed-login limits) and the viewer's same-origin check uses X-Forwarded-Host and X-Forwarded-Proto. Only the proxy that connects to confab is trusted (one hop). Without the flag those headers are ignored; never pass it when clients can reach confab directly.`;
  static override examples = [
    '<%= config.bin %> serve keys create me',
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 9000 --store /srv/confab',
    '<%= config.bin %> serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
    '<%= config.bin %> serve --trust-proxy --log-file -',
  ];
  static override flags = {
    host: Flags.string({ description: 'address to bind (a non-loopback address exposes the server to the network)', default: DEFAULT_SERVE_HOST }),
    port: Flags.integer({ char: 'p', description: 'port to listen on', default: DEFAULT_SERVE_PORT, min: 0, max: 65535 }),
    store: Flags.string({ description: 'store directory (default: CONFAB_STORE_DIR or ~/.confab/store)' }),
    'tls-cert': Flags.string({ description: 'PEM certificate: serve HTTPS directly', dependsOn: ['tls-key'] }),
    'tls-key': Flags.string({ description: 'PEM private key for --tls-cert', dependsOn: ['tls-cert'] }),
    'trust-proxy': Flags.boolean({ description: "behind a reverse proxy: take the client address from its X-Forwarded-For and the public host and scheme from X-Forwarded-Host/-Proto (off: they are ignored)", default: false }),
    'log-file': Flags.string({ description: 'where the request log goes: a file, or - for stderr (default: ~/.confab/logs/serve.log)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    const ownLogPath = flags['log-file'] !== undefined && flags['log-file'] !== '-';
    const logPath = ownLogPath ? resolve(flags['log-file'] as string) : join(logDir(), 'serve.log');
    const server = await startServer({
      host: flags.host,
      port: flags.port,
      ...(flags.store ? { store: flags.store } : {}),
      ...(flags['tls-cert'] && flags['tls-key'] ? { tls: { certFile: flags['tls-cert'], keyFile: flags['tls-key'] } } : {}),
      trustProxy: flags['trust-proxy'],
      requestLog: flags['log-file'] === '-' ? process.stderr : { write: createLogAppender(logPath, { maxBytes: 10 * 1024 * 1024, privateDir: !ownLogPath }) },
    }).catch((err: Error) => {
      throw new CommandError(err.message);
    });
    if (server.exposed) {
      this.warn(`listening on ${flags.host}: reachable from the network${flags['tls-cert'] ? '' : ' over plain HTTP (keys travel unencrypted; consider --tls-cert/--tls-key)'}`);
    }
    this.log(`confab serve: ${server.url} (store ${server.store.dir})`);
    this.log(`  viewer:  ${server.url}/   API: ${server.url}/api/v1/…`);
    this.log(`  sync to it: confab login --backend-url ${server.url} --api-key <key>`);
    this.log(`  log:     ${flags['log-file'] === '-' ? 'stderr' : logPath}`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
  }
}
