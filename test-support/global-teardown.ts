import { infraHolder } from './global-setup';

/** Jest globalTeardown of the `integration` project: stops what globalSetup started and removes its temp dirs. */
export default async function globalTeardown(): Promise<void> {
  const infra = infraHolder.__flywheelInfra;
  infraHolder.__flywheelInfra = undefined;
  await infra?.stop();
}
