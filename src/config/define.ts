import type { DaemonHooks } from '../daemon/daemon-hooks.js';

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
  /** Provider plugins: package names, or paths relative to the config file. */
  plugins?: string[];
  /** Tap the daemon's hooks for this project's sessions. */
  apply?(daemon: { readonly hooks: DaemonHooks }): void;
}

/** Identity helper that gives `confab.config.ts` full typing. */
export function defineConfig(config: ProjectConfig): ProjectConfig {
  return config;
}
