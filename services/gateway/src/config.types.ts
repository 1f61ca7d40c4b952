/** The loaded configuration types the gateway consumes (defined in @flywheel/platform's config). */
export type {
  FlywheelConfig,
  JsonSchema,
  ModelConfig,
  ProviderConfig,
  RouteConfig,
  VariantConfig,
} from '@flywheel/platform';
