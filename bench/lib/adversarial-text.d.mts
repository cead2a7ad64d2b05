export type TextMaker = (size: number) => string;
export const MARKDOWN_CASES: Record<string, TextMaker>;
export const TEXT_CASES: Record<string, TextMaker>;
