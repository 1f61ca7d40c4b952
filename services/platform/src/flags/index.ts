export {
  FlagService,
  DEFAULT_FLAGS_FILE,
  type FlagContext,
  type FlagServiceOptions,
  type VariantDecision,
} from './flag-service';
export { FileFlagProvider, type FileFlagProviderOptions } from './file-flag-provider';
// types only: the gRPC sync protocol's values are in '@flywheel/platform/flag-sync' (flag-sync.ts),
// so a service that neither serves nor follows a sync source never loads gRPC
export type { SyncFlagProvider, FlagSourceStatus, SyncFlagProviderOptions } from './sync-flag-provider';
export type { FlagSyncClientApi, FlagsRequest, FlagsResponse } from './sync-protocol';
export { FileChangePoller } from './file-change-poller';
