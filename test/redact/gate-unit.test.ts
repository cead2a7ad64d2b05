import { describe, expect, it } from 'vitest';
import { Gate } from '../../src/redact/gate.js';

const gate = new Gate([
  { rule: 0, part: { literal: 'sk-', then: '[a-z0-9]{4}', notAfter: '[A-Za-z0-9_-]' } },
  { rule: 1, part: { literal: 'sk-ant-' } },
  { rule: 2, part: { literal: 'token', anyCase: true, then: '\\s*=' } },
  { rule: 3, part: { literal: 'AKIA' } },
  { rule: 4, part: { literal: 'ant-x' } },
]);
const passing = (text: string) => [...(gate.passing(text) ?? [])].sort();

describe('Gate', () => {
  it('reports every rule whose literal shows, including overlapping and nested literals', () => {
    expect(passing('nothing here')).toEqual([]);
    expect(gate.passing('nothing here')).toBeNull();
    expect(passing('key sk-ant-x12345')).toEqual([1, 4]);
    expect(passing('sk-abcd sk-ant-x1')).toEqual([0, 1, 4]);
    expect(passing('AKIA and TOKEN = 1')).toEqual([2, 3]);
  });

  it('checks case, the text that must follow, and the character before', () => {
    expect(passing('akia')).toEqual([]);
    expect(passing('ToKeN=1 Token')).toEqual([2]);
    expect(passing('token only')).toEqual([]);
    expect(passing('task-abcd')).toEqual([]);
    expect(passing(' sk-abcd')).toEqual([0]);
    // After an escaped newline the decoded text has a boundary there.
    expect(passing('line\\nsk-abcd')).toEqual([0]);
  });

  it('ignores non-ASCII characters and finds literals right after them', () => {
    expect(passing('ünïcödé AKIA 😀sk-abcd')).toEqual([0, 3]);
    expect(passing('AK😀IA')).toEqual([]);
  });

  it('lets a part pass after many failed checks, so crafted text cannot make it slow', () => {
    expect(passing('token '.repeat(16))).toEqual([]);
    expect(passing('token '.repeat(17))).toEqual([2]);
  });
});
