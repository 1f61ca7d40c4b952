import {
  type CallOptions,
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientReadableStream,
  type ClientUnaryCall,
  makeGenericClientConstructor,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/**
 * flagd's sync protocol, `flagd.sync.v1.FlagSyncService` (flagd-schemas
 * protobuf/flagd/sync/v1/sync.proto): `SyncFlags` streams the whole flag configuration (flagd
 * JSON) on connect and after every change; `FetchAllFlags` answers it once. Only the fields
 * this project uses are declared (protobuf skips unknown ones), so flagd itself, flagd's
 * in-process providers and our own client speak it alike. Defined in code rather than loaded
 * from a .proto file, so the bundled services need no file beside them.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    flagd: {
      nested: {
        sync: {
          nested: {
            v1: {
              nested: {
                SyncFlagsRequest: {
                  fields: { providerId: { type: 'string', id: 1 }, selector: { type: 'string', id: 2 } },
                },
                SyncFlagsResponse: { fields: { flagConfiguration: { type: 'string', id: 1 } } },
                FetchAllFlagsRequest: {
                  fields: { providerId: { type: 'string', id: 1 }, selector: { type: 'string', id: 2 } },
                },
                FetchAllFlagsResponse: { fields: { flagConfiguration: { type: 'string', id: 1 } } },
              },
            },
          },
        },
      },
    },
  },
});

export interface FlagsRequest {
  providerId: string;
  selector: string;
}

export interface FlagsResponse {
  /** the flag configuration, flagd JSON (`{"flags": {...}}`) */
  flagConfiguration: string;
}

function codec<T extends object>(name: string) {
  const type = root.lookupType(`flagd.sync.v1.${name}`);
  return {
    serialize: (value: T): Buffer => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer): T => type.toObject(type.decode(bytes), { defaults: true }) as T,
  };
}

const request = codec<FlagsRequest>('SyncFlagsRequest');
const syncResponse = codec<FlagsResponse>('SyncFlagsResponse');
const fetchRequest = codec<FlagsRequest>('FetchAllFlagsRequest');
const fetchResponse = codec<FlagsResponse>('FetchAllFlagsResponse');

export const FLAG_SYNC_SERVICE = 'flagd.sync.v1.FlagSyncService';

export const FlagSyncServiceDefinition = {
  syncFlags: {
    path: `/${FLAG_SYNC_SERVICE}/SyncFlags`,
    requestStream: false,
    responseStream: true,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: syncResponse.serialize,
    responseDeserialize: syncResponse.deserialize,
  },
  fetchAllFlags: {
    path: `/${FLAG_SYNC_SERVICE}/FetchAllFlags`,
    requestStream: false,
    responseStream: false,
    requestSerialize: fetchRequest.serialize,
    requestDeserialize: fetchRequest.deserialize,
    responseSerialize: fetchResponse.serialize,
    responseDeserialize: fetchResponse.deserialize,
  },
} satisfies ServiceDefinition;

/** A FlagSyncService client's methods (grpc-js generates them from the definition). */
export interface FlagSyncClientApi extends Client {
  syncFlags(request: FlagsRequest, options?: CallOptions): ClientReadableStream<FlagsResponse>;
  fetchAllFlags(
    request: FlagsRequest,
    callback: (err: ServiceError | null, response?: FlagsResponse) => void,
  ): ClientUnaryCall;
}

/** A grpc-js client of FlagSyncService (`syncFlags`, `fetchAllFlags`). */
export const FlagSyncClient = makeGenericClientConstructor(
  FlagSyncServiceDefinition,
  'FlagSyncService',
  // the generic constructor types its methods loosely; these are the ones the definition declares
) as unknown as new (
  address: string,
  credentials: ChannelCredentials,
  options?: ChannelOptions,
) => FlagSyncClientApi;

/** `host:port` → its parts; throws naming the value when it is not one. */
export function parseSyncAddress(address: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(address.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65_535)
    throw new Error(`"${address}" is not a host:port flag sync address (e.g. rollouts:8015)`);
  return { host: m[1]!, port };
}
