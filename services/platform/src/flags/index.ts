export {
  FlagService,
  DEFAULT_FLAGS_FILE,
  type FlagContext,
  type FlagServiceOptions,
  type VariantDecision,
} from './flag-service';
export { FileFlagProvider, type FileFlagProviderOptions } from './file-flag-provider';
export { SyncFlagProvider, type FlagSourceStatus, type SyncFlagProviderOptions } from './sync-flag-provider';
export {
  FlagSyncClient,
  FlagSyncServiceDefinition,
  FLAG_SYNC_SERVICE,
  parseSyncAddress,
  type FlagSyncClientApi,
  type FlagsRequest,
  type FlagsResponse,
} from './sync-protocol';
export { FileChangePoller } from './file-change-poller';
