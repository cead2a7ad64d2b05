import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { StoreError, type SessionStore, type StoredSession } from '../../store/session-store.js';
import { answer, answerRaw, routeConfig } from '../api-reply.js';

/** Reading a stored session: its details, its file list, and a file's lines (whole or after a line). */
export const readRoutes: FastifyPluginAsync<{ store: SessionStore }> = async (app, { store }) => {
  /** A session the caller may read (owner only: this server has no sharing). */
  async function readable(request: FastifyRequest, anonymousMessage?: string): Promise<StoredSession> {
    const { id } = request.params as { id: string };
    const owner = request.confab?.key?.owner;
    if (owner === undefined && anonymousMessage) {
      if (await store.getSession(id)) throw new StoreError(401, anonymousMessage);
      throw new StoreError(404, 'Session not found');
    }
    const session = owner === undefined ? undefined : await store.getSession(id, owner);
    if (!session) throw new StoreError(404, 'Session not found');
    return session;
  }

  const fileInfo = (s: StoredSession) => s.files.map((f) => ({ file_name: f.file_name, file_type: f.file_type, last_synced_line: f.last_synced_line, updated_at: f.updated_at }));

  app.get('/api/v1/sessions/:id', { config: routeConfig({ auth: 'optional' }) }, async (request, reply) => {
    const s = await readable(request, 'Sign in to view this session');
    const detail: Record<string, unknown> = {
      id: s.session_id,
      external_id: s.external_id,
      provider: s.provider,
      summary: s.summary,
      first_user_message: s.first_user_message,
      first_seen: s.first_seen,
      cwd: s.cwd,
      transcript_path: s.transcript_path,
      git_info: s.git_info,
      last_sync_at: s.last_sync_at,
      last_message_at: s.last_message_at,
      files: fileInfo(s),
      hostname: s.hostname,
      username: s.username,
      is_owner: true,
      owner_email: s.owner.includes('@') ? s.owner : `${s.owner}@localhost`,
    };
    return answer(request, reply, 200, detail);
  });

  app.get('/api/v1/sessions/:id/files', { config: routeConfig({ auth: 'key', limiter: 'externalRead' }) }, async (request, reply) => {
    const s = await readable(request);
    return answer(request, reply, 200, { files: fileInfo(s) });
  });

  app.get(
    '/api/v1/sessions/:id/files/download',
    { config: routeConfig({ auth: 'key', limiter: 'externalRead', failure: 'Failed to download file' }) },
    async (request, reply) => {
      const s = await readable(request);
      const fileName = (request.query as Record<string, string | undefined>).file_name;
      if (!fileName) throw new StoreError(400, 'Missing file_name query parameter');
      if (!s.files.some((f) => f.file_name === fileName)) throw new StoreError(404, 'File not found');
      const data = await store.readFile(s.session_id, fileName);
      const safeName = (fileName.split('/').pop() ?? 'file').replace(/[^A-Za-z0-9._-]/g, '_');
      reply.headers({ 'content-disposition': `attachment; filename="${safeName}"` });
      return answerRaw(request, reply, data);
    },
  );

  app.get('/api/v1/sessions/:id/sync/file', { config: routeConfig({ auth: 'optional', failure: 'Failed to read file' }) }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const s = await readable(request, 'Sign in to view this session');
    const fileName = query.file_name;
    if (!fileName) throw new StoreError(400, 'Missing file_name query parameter');
    let offset = 0;
    if (query.line_offset !== undefined && query.line_offset !== '') {
      if (!/^[+-]?\d+$/.test(query.line_offset)) throw new StoreError(400, 'line_offset must be a valid integer');
      offset = Number(query.line_offset);
      if (offset < 0) throw new StoreError(400, 'line_offset must be non-negative');
      if (!Number.isSafeInteger(offset)) throw new StoreError(400, 'line_offset must be a valid integer');
    }
    const file = s.files.find((f) => f.file_name === fileName);
    if (!file) throw new StoreError(404, 'File not found');
    if (offset >= file.last_synced_line) return answerRaw(request, reply, Buffer.alloc(0));
    let data = await store.readFile(s.session_id, fileName, offset);
    if (offset > 0) {
      // Lines after N are joined without a trailing newline, trailing empty lines dropped.
      let end = data.length;
      while (end > 0 && data[end - 1] === 0x0a) end--;
      data = data.subarray(0, end);
    }
    return answerRaw(request, reply, data);
  });
};
