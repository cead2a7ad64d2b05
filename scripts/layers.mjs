// The layers of src/, lowest first, as docs/architecture.md draws them. Each entry of a layer
// is a folder or a top-level file of src/. A module may import from its own entry and from
// any entry of a lower layer; an import of a higher layer, or of a neighbour in the same
// layer, is an error (eslint's `import-x/no-restricted-paths`, configured below).
export const LAYERS = [
  ['process'],
  ['fs'],
  ['log.ts', 'paths.ts', 'version.ts'],
  ['format'],
  ['github', 'sqlite'],
  ['extension'],
  ['store'],
  ['usage'],
  ['search'],
  ['backend'],
  ['provider'],
  ['redact', 'sync'],
  ['config'],
  ['daemon', 'plugin'],
  ['compose'],
  ['hook', 'serve'],
  ['cli'],
  ['demo', 'mcp'],
  ['commands', 'index.ts'],
];

/** `import-x/no-restricted-paths` zones: for each entry, everything it must not import. */
export function layerZones(layers = LAYERS) {
  const zones = [];
  layers.forEach((layer, level) => {
    for (const entry of layer) {
      const forbidden = [...layer.filter((other) => other !== entry), ...layers.slice(level + 1).flat()];
      if (forbidden.length === 0) continue;
      zones.push({
        target: `./src/${entry}`,
        from: forbidden.map((other) => `./src/${other}`),
        message: `src/${entry} (layer ${level} in docs/architecture.md) imports only from itself and from lower layers.`,
      });
    }
  });
  return zones;
}
