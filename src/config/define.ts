import type { DaemonHandle } from '../provider/contract.js';

/** A redaction rule in a project config: a RegExp, or a string in RE2 syntax. */
export interface ProjectRedactionPattern {
  name: string;
  pattern?: RegExp | string;
  /** Only redact string values of JSON fields whose name matches this. */
  fieldPattern?: RegExp | string;
  /** Marker type: `[REDACTED:<TYPE>]`. */
  type: string;
  /** Replace only this capture group of each match. */
  captureGroup?: number;
}

/** `confab.config.ts` (or .mts/.js/.mjs/.json, `.confabrc*`, `package.json#confab`). */
export interface ProjectConfig {
  /** `false`: sessions in this repository are never synced (the hook answers, no daemon starts). */
  enabled?: boolean;
  /** Where this project's sessions go: a confab-web/`confab serve` URL, or `local` for the embedded store. */
  backend?: { url?: string; apiKey?: string } | 'local';
  sync?: { intervalMs?: number; jitterMs?: number };
  redaction?: { enabled?: boolean; useDefaultPatterns?: boolean; patterns?: ProjectRedactionPattern[] };
  /**
   * Plugins for this project's sessions: package names (resolved from this file's directory)
   * or paths relative to it (`./tools/my-agent.ts`). Each exports a provider and/or `apply`.
   */
  plugins?: string[];
  /** Tap the daemon's hooks for this project's sessions (runs after the plugins' `apply`). */
  apply?(daemon: DaemonHandle): void;
}

/** Identity helper that gives `confab.config.ts` full typing. */
export function defineConfig(config: ProjectConfig): ProjectConfig {
  return config;
}
