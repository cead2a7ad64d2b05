export { registerViewer, type ViewerOptions, type ViewerStore } from './plugin.js';
export type { SearchBudget } from './search.js';
