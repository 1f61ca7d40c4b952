/**
 * `@flywheel/platform/flag-sync`: flagd's sync protocol over gRPC (the rollout controller serves
 * it; FlagService follows it when given a `syncAddress`). Its own entry point, so the services
 * that need neither never load @grpc/grpc-js and protobufjs.
 */
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
