import { describe, expect, it } from 'vitest';
import {
  agentIdsOf,
  contentBlocks,
  extractAgentIds,
  extractCwd,
  extractFirstUserMessage,
  extractGitBranch,
  extractMetadata,
  extractSummary,
  extractSummaryLinks,
  isAgentId,
  parseTranscript,
  parseTranscriptLine,
  sanitizeText,
  truncateUtf8,
  utf8Length,
  type TranscriptEntry,
} from '@confab/plugin-claude-code/transcript';
import { AGENTS, TranscriptBuilder } from './fixtures.js';

const ctx = { sessionId: '0f1e2d3c-4b5a-4697-8a8b-000000000abc', cwd: '/Users/dev/app', gitBranch: 'main' };

function entries(b: TranscriptBuilder): TranscriptEntry[] {
  return [...parseTranscript(b.text())];
}

describe('line parsing', () => {
  it('types every line kind Claude Code writes and keeps the objects untouched', () => {
    const b = new TranscriptBuilder(ctx);
    b.summary('Login fix')
      .snapshot()
      .user('hello')
      .assistant([
        { type: 'thinking', thinking: 'Let me look.', signature: 'EqQBCkYIBxgCKkB' },
        { type: 'text', text: 'Looking.' },
        { type: 'tool_use', id: 'toolu_01A', name: 'Read', input: { file_path: '/x' } },
      ])
      .raw({ ...b.lines[2], type: 'system', subtype: 'compact_boundary', content: 'Conversation compacted', level: 'info', message: undefined })
      .raw({ type: 'progress', data: { type: 'hook_progress', hookEvent: 'PostToolUse' }, toolUseID: 'toolu_01A', parentToolUseID: 'toolu_01A', uuid: 'p1', timestamp: '2025-10-01T09:00:00Z' })
      .raw({ type: 'queue-operation', operation: 'enqueue', timestamp: '2025-10-01T09:00:00Z', sessionId: ctx.sessionId, content: 'and also' })
      .raw({ type: 'custom-title', customTitle: 'mine' })
      .raw({ type: 'user', message: 'not an object' });
    const kinds = entries(b).map((e) => e.kind);
    expect(kinds).toEqual(['summary', 'file-history-snapshot', 'user', 'assistant', 'system', 'progress', 'queue-operation', 'unknown', 'unknown']);

    const text = b.rawLines()[7] as string;
    const unknown = parseTranscriptLine(text);
    expect(unknown).toEqual({ kind: 'unknown', line: JSON.parse(text) });
    expect(parseTranscriptLine('{"type":"assistant","message":{"role":"assistant","content":"x"}}').kind).toBe('unknown');
  });

  it('reports non-objects and broken JSON as invalid, with their text', () => {
    expect(parseTranscriptLine('')).toEqual({ kind: 'invalid', text: '' });
    expect(parseTranscriptLine('{"type":"user",')).toEqual({ kind: 'invalid', text: '{"type":"user",' });
    expect(parseTranscriptLine('[1,2]').kind).toBe('invalid');
    expect(parseTranscriptLine('{"type":"user","message":{"content":"x"}}\r').kind).toBe('user');
  });

  it('splits a transcript into lines, with or without a final newline', () => {
    expect([...parseTranscript('{"type":"summary","summary":"a"}\n{"type":"x"}\n')].map((e) => e.kind)).toEqual(['summary', 'unknown']);
    expect([...parseTranscript('{"type":"summary","summary":"a"}\n{"type":"x"}')].map((e) => e.kind)).toEqual(['summary', 'unknown']);
    expect([...parseTranscript(['{"type":"x"}', ''])].map((e) => e.kind)).toEqual(['unknown', 'invalid']);
  });

  it('gives typed content blocks, wrapping the ones it does not know', () => {
    const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };
    const result = { type: 'tool_result', tool_use_id: 'toolu_01A', content: [{ type: 'text', text: 'ok' }], is_error: false };
    const odd = { type: 'server_tool_use', id: 'srvtoolu_1' };
    const blocks = contentBlocks({ content: [{ type: 'text', text: 'hi' }, image, result, odd, { type: 'tool_use', id: 'x' }] });
    expect(blocks.map((b) => b.type)).toEqual(['text', 'image', 'tool_result', 'unknown', 'unknown']);
    expect(blocks[1]).toBe(image);
    expect(blocks[3]).toEqual({ type: 'unknown', block: odd });
    expect(contentBlocks('plain')).toEqual([{ type: 'text', text: 'plain' }]);
    const nested = blocks[2];
    if (nested?.type !== 'tool_result') throw new Error('expected a tool_result');
    expect(contentBlocks(nested)).toEqual([{ type: 'text', text: 'ok' }]);
    expect(contentBlocks(undefined)).toEqual([]);
  });
});

describe('metadata extraction', () => {
  const firstMessageCases: Array<[string, (b: TranscriptBuilder) => void, string | undefined]> = [
    ['a string prompt', (b) => b.user('Fix the login bug'), 'Fix the login bug'],
    ['a text block prompt', (b) => b.user([{ type: 'text', text: 'Add tests' }]), 'Add tests'],
    [
      'the prompt after a tool_result-only line',
      (b) => b.user([{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'x' }]).user('Second'),
      'Second',
    ],
    ['skipping /clear and its caveat and output', (b) => b.localCommand('clear').user('Real question'), 'Real question'],
    ['a slash command with arguments', (b) => b.localCommand('clear').user('<command-message>review-pr is running…</command-message>\n<command-name>/review-pr</command-name>\n<command-args>123</command-args>'), '/review-pr 123'],
    ['skipping isMeta and compaction summaries', (b) => b.user('expanded command body', { isMeta: true }).user('This session is being continued…', { isCompactSummary: true }).user('Go on'), 'Go on'],
    ['skipping interruption markers', (b) => b.user([{ type: 'text', text: '[Request interrupted by user for tool use]' }]).user('Try again'), 'Try again'],
    [
      'dropping injected reminders around the prompt',
      (b) => b.user([{ type: 'text', text: '<ide_opened_file>The user opened /x.ts in the IDE.</ide_opened_file>' }, { type: 'text', text: 'Explain this file' }]),
      'Explain this file',
    ],
    ['sanitizing markup and entities', (b) => b.user('Fix <b>auth.ts</b>\n\n  &amp; add  &lt;tests&gt; &#x1F600;'), 'Fix auth.ts & add <tests> 😀'],
    ['nothing when only commands ran', (b) => b.localCommand('model'), undefined],
  ];
  it.each(firstMessageCases)('first user message: %s', (_name, build, expected) => {
    const b = new TranscriptBuilder(ctx);
    b.snapshot();
    build(b);
    expect(extractFirstUserMessage(entries(b))).toBe(expected);
  });

  it('caps the first user message at 4096 bytes without splitting a character', () => {
    const b = new TranscriptBuilder(ctx).user('é'.repeat(3000));
    const message = extractFirstUserMessage(entries(b)) as string;
    expect(utf8Length(message)).toBeLessThanOrEqual(4096);
    expect(message.endsWith('...')).toBe(true);
    expect(message.slice(0, -3)).toBe('é'.repeat(2046));
  });

  it('takes the last summary without leafUuid as the summary, and the others as links', () => {
    const b = new TranscriptBuilder(ctx)
      .summary('Earlier session title', 'leaf-1')
      .summary('First title')
      .summary('  Final <i>title</i> &amp; more  ')
      .summary('Another earlier one', 'leaf-2');
    expect(extractSummary(entries(b))).toBe('Final title & more');
    expect(extractSummaryLinks(entries(b))).toEqual([
      { leafUuid: 'leaf-1', summary: 'Earlier session title' },
      { leafUuid: 'leaf-2', summary: 'Another earlier one' },
    ]);
  });

  it('only looks at the first 50 lines', () => {
    const b = new TranscriptBuilder(ctx);
    for (let i = 0; i < 50; i++) b.snapshot();
    b.summary('too late').user('too late');
    const meta = extractMetadata(b.rawLines());
    expect(meta.summary).toBeUndefined();
    expect(meta.firstUserMessage).toBeUndefined();
    expect(extractMetadata(b.rawLines(), { maxLines: 60 }).summary).toBe('too late');
  });

  it('finds cwd and the first git branch with its line’s cwd', () => {
    const b = new TranscriptBuilder({ ...ctx, gitBranch: '' }).snapshot().user('a');
    b.raw({ ...b.lines[1], cwd: '/Users/dev/app/sub', gitBranch: 'feature/login', uuid: 'u2' });
    b.raw({ ...b.lines[1], gitBranch: 'other', uuid: 'u3' });
    expect(extractCwd(b.rawLines())).toBe('/Users/dev/app');
    expect(extractGitBranch(b.rawLines())).toEqual({ branch: 'feature/login', cwd: '/Users/dev/app/sub' });
    expect(extractGitBranch(['{"type":"summary","summary":"x"}'])).toBeUndefined();
  });

  it('extracts a complete metadata record from a realistic session head', () => {
    const b = new TranscriptBuilder(ctx);
    b.summary('Older', 'leaf-9').snapshot().localCommand('clear').user('Fix the login bug').task(AGENTS.first, 'look').bash('ls', 'a b');
    expect(extractMetadata(b.rawLines())).toEqual({
      firstUserMessage: 'Fix the login bug',
      summaryLinks: [{ leafUuid: 'leaf-9', summary: 'Older' }],
      cwd: '/Users/dev/app',
      gitBranch: { branch: 'main', cwd: '/Users/dev/app' },
    });
  });
});

describe('sub-agent ids', () => {
  it('reads toolUseResult.agentId and the nested tool_result form, and nothing else', () => {
    const b = new TranscriptBuilder(ctx).task(AGENTS.first, 'p');
    b.user([{ type: 'tool_result', tool_use_id: 't2', content: { toolUseResult: { agentId: AGENTS.nestedForm } } }]);
    // Lookalikes that must not count: an assistant line, a text mention, a too-short id, a path.
    b.assistant([{ type: 'text', text: `"agentId":"${AGENTS.nested}"` }]);
    b.user('x', { toolUseResult: { agentId: 'abc' } });
    b.user('x', { toolUseResult: { agentId: '../../etc' } });
    b.raw({ type: 'assistant', message: { role: 'assistant', content: [] }, toolUseResult: { agentId: 'assistantid123' } });
    expect(extractAgentIds(b.rawLines())).toEqual([AGENTS.first, AGENTS.nestedForm]);
    expect(agentIdsOf(parseTranscriptLine(b.rawLines()[1] as string))).toEqual([AGENTS.first]);
  });

  it.each([
    ['a3eaf63159a07953f', true],
    ['acompact-7d1e2f', true],
    ['aprompt_suggestion-55aa11', true],
    ['abc12', false],
    ['a/b/c/d/e', false],
    ['', false],
    [123456, false],
  ])('isAgentId(%j) is %s', (id, ok) => {
    expect(isAgentId(id)).toBe(ok);
  });
});

describe('text helpers', () => {
  it('keeps prose with angle brackets but strips tags', () => {
    expect(sanitizeText('if a < b and c > d')).toBe('if a < b and c > d');
    expect(sanitizeText('<div class="x">hi</div>\u0000\tthere')).toBe('hi there');
  });

  it('truncates on UTF-8 boundaries, suffix included', () => {
    expect(truncateUtf8('short', 10)).toBe('short');
    expect(truncateUtf8('abcdefghij', 8)).toBe('abcde...');
    expect(truncateUtf8('😀😀😀', 10)).toBe('😀...');
    expect(utf8Length(truncateUtf8('日本語テキスト'.repeat(100), 100))).toBeLessThanOrEqual(100);
  });
});
