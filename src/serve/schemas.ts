/**
 * JSON schemas of the request bodies. Types and keys only: every key is known
 * (`additionalProperties: false` also refuses case variants such as `Session_Id`, which Go
 * would silently match), strings may be `null` where Go reads null as "absent", and value
 * rules (required, lengths, order of checks) are left to the store's validators so the
 * messages are confab-web's.
 */

const str = { type: ['string', 'null'] } as const;
const time = { type: ['string', 'null'], format: 'rfc3339' } as const;
const anyJson = {} as const;

export const initBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    provider: str,
    external_id: str,
    transcript_path: str,
    metadata: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { cwd: str, git_info: anyJson, hostname: str, username: str },
    },
    // Deprecated top-level aliases confab-web still reads.
    cwd: str,
    git_info: anyJson,
  },
} as const;

export const chunkBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    session_id: str,
    file_name: str,
    file_type: str,
    first_line: { type: ['integer', 'null'] },
    lines: { type: ['array', 'null'], items: { type: 'string' } },
    metadata: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        git_info: anyJson,
        summary: str,
        first_user_message: str,
        latest_message_at: time,
        created_at: time,
        model: str,
        codex_rollout: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            thread_uuid: str,
            parent_thread_uuid: str,
            rollout_path: str,
            cwd: str,
            model: str,
            source: str,
            thread_source: str,
            agent_path: str,
            agent_role: str,
            agent_nickname: str,
          },
        },
      },
    },
  },
} as const;

export const eventBody = {
  type: 'object',
  additionalProperties: false,
  properties: { session_id: str, event_type: str, timestamp: time, payload: anyJson },
} as const;

export const summaryBody = {
  type: 'object',
  additionalProperties: false,
  required: ['summary'],
  properties: { summary: { type: 'string' } },
} as const;

export const githubLinkBody = {
  type: 'object',
  additionalProperties: false,
  properties: { url: str, link_type: str, title: str, source: str },
} as const;
