/**
 * The regression-set runner shared by `flywheel eval run` and the rollout controller's gate:
 * fetch a route's accepted cases from the curator, run them through the gateway with a forced
 * variant, check the assertions, summarize the run and store it back in the curator.
 */
export * from './assertions';
export * from './curator-client';
export * from './eval-set';
export * from './gateway-client';
export * from './gateway-runner';
export * from './http-json';
export * from './judge';
export * from './outcome';
export * from './runner';
export * from './usage-error';
