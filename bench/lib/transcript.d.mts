import type { FakeSecret } from './fake-secrets.mjs';
export interface Session {
  rand: () => number;
  sessionId: string;
  cwd: string;
}
export function session(seed?: number): Session;
export function userPrompt(s: Session, text: string): string;
export function assistantText(s: Session, text: string): string;
export function toolUse(s: Session, name: string, input: Record<string, unknown>): string;
export function toolResult(s: Session, content: unknown, toolUseResult: unknown): string;
export function bashResult(s: Session, stdout: string): string;
export function readResult(s: Session, filePath: string, content: string): string;
export function writeResult(s: Session, filePath: string, content: string): string;
export function ordinaryLines(seed?: number, count?: number): string[];
export function secretLines(fake: FakeSecret, seed?: number): { context: string; line: string }[];
export function generateTranscript(opts: { bytes: number; seed?: number; fakes?: FakeSecret[]; secretEvery?: number }): string[];
