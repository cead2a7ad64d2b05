export function fill(unit: string, size: number): string;
export function adversarialTexts(patterns: readonly { gate: readonly { literal: string }[] }[], size: number): Generator<{ label: string; text: string }>;
export function nearMissText(size: number): string;
