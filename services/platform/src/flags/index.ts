export {
  FlagService,
  DEFAULT_FLAGS_FILE,
  type FlagContext,
  type FlagServiceOptions,
  type VariantDecision,
} from './flag-service';
export { FileFlagProvider, type FileFlagProviderOptions } from './file-flag-provider';
