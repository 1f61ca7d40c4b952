import type { PathProblem } from './format-issues';
import { mapping } from './raw-config';

function known(names: string[]): string {
  return names.length ? names.join(', ') : 'none defined';
}

/**
 * Cross-section references that zod cannot see on its own: each model's provider, each chain
 * entry, each route's default variant, each API key's routes and models. Works on the raw YAML data (anything of the wrong shape
 * is skipped, zod reports it), so one boot reports broken references together with bad values.
 */
export function checkReferences(raw: unknown): PathProblem[] {
  const problems: PathProblem[] = [];
  const config = mapping(raw);
  const providers = mapping(config.providers);
  const models = mapping(config.models);

  for (const [id, model] of Object.entries(models)) {
    const provider = mapping(model).provider;
    if (typeof provider === 'string' && !Object.hasOwn(providers, provider)) {
      problems.push({
        path: ['models', id, 'provider'],
        message: `unknown provider "${provider}" (providers: ${known(Object.keys(providers))})`,
      });
    }
  }

  for (const [routeName, routeValue] of Object.entries(mapping(config.routes))) {
    const route = mapping(routeValue);
    const variants = mapping(route.variants);
    if (typeof route.default_variant === 'string' && !Object.hasOwn(variants, route.default_variant)) {
      problems.push({
        path: ['routes', routeName, 'default_variant'],
        message: `unknown variant "${route.default_variant}" (variants: ${known(Object.keys(variants))})`,
      });
    }
    for (const [variantName, variant] of Object.entries(variants)) {
      const chain = mapping(variant).chain;
      if (!Array.isArray(chain)) continue;
      chain.forEach((modelId: unknown, i) => {
        if (typeof modelId === 'string' && !Object.hasOwn(models, modelId)) {
          problems.push({
            path: ['routes', routeName, 'variants', variantName, 'chain', i],
            message: `unknown model "${modelId}" (models: ${known(Object.keys(models))})`,
          });
        }
      });
    }
  }
  const routes = mapping(config.routes);
  for (const [keyName, keyValue] of Object.entries(mapping(config.api_keys))) {
    const key = mapping(keyValue);
    for (const [field, names] of [
      ['routes', routes],
      ['models', models],
    ] as const) {
      const list = key[field];
      if (!Array.isArray(list)) continue;
      list.forEach((name: unknown, i) => {
        if (typeof name === 'string' && !Object.hasOwn(names, name)) {
          problems.push({
            path: ['api_keys', keyName, field, i],
            message: `unknown ${field.slice(0, -1)} "${name}" (${field}: ${known(Object.keys(names))})`,
          });
        }
      });
    }
  }
  for (const [routeName, planValue] of Object.entries(mapping(config.rollouts))) {
    if (!Object.hasOwn(routes, routeName)) {
      problems.push({
        path: ['rollouts', routeName],
        message: `unknown route "${routeName}" (routes: ${known(Object.keys(routes))})`,
      });
      continue;
    }
    const variants = mapping(mapping(routes[routeName]).variants);
    const plan = mapping(planValue);
    for (const key of ['control', 'candidate'] as const) {
      const variant = plan[key];
      if (typeof variant === 'string' && !Object.hasOwn(variants, variant)) {
        problems.push({
          path: ['rollouts', routeName, key],
          message: `unknown variant "${variant}" of route ${routeName} (variants: ${known(Object.keys(variants))})`,
        });
      }
    }
  }
  return problems;
}
