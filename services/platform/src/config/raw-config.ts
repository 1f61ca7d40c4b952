/**
 * Walking the config as plain YAML data, before zod has vouched for its shape. Anything of the
 * wrong shape is skipped here: zod reports it.
 */

export type RawMapping = Record<string, unknown>;

export function isMapping(value: unknown): value is RawMapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A YAML mapping as plain data, or an empty one for anything else. */
export function mapping(value: unknown): RawMapping {
  return isMapping(value) ? value : {};
}

/** Calls `fn` for every variant mapping, with its YAML path. */
export function forEachVariant(raw: unknown, fn: (variant: RawMapping, path: string[]) => void): void {
  for (const [routeName, route] of Object.entries(mapping(mapping(raw).routes))) {
    for (const [variantName, variant] of Object.entries(mapping(mapping(route).variants))) {
      if (isMapping(variant)) fn(variant, ['routes', routeName, 'variants', variantName]);
    }
  }
}
