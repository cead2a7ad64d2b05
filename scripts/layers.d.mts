/** The layers of src/, lowest first (see layers.mjs). */
export declare const LAYERS: readonly (readonly string[])[];
/** `import-x/no-restricted-paths` zones for these layers. */
export declare function layerZones(layers?: readonly (readonly string[])[]): { target: string; from: string[]; message: string }[];
