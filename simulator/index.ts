// Simulator layer (public API): a local, faithful stand-in for the AWS APIs this project calls. See docs/simulator.md.
//
//   const sim = await startSimulator({ port: 0, propagationDelayMs: 0 });
//   const ses = new SESv2Client({ ...sim.clientConfig(), maxAttempts: 1 });   // in-process
//   spawn("node", ["dist/backfill/index.js"], { env: { ...process.env, ...sim.endpointEnv() } }); // other process
//   sim.state.createDeliveryStream("events");            // seed, bypassing HTTP
//   sim.callLog.count({ service: "sesv2" });             // what was called
//   sim.invocations.drain();                             // async Lambda self-invocations
//   await sim.stop();
export { startSimulator, type RuntimeOptions, type Simulator, type SimulatorOptions } from "./server";
export type { Limits, InvokeHook } from "./context";
export { DEFAULT_LIMITS } from "./context";
export { InvocationQueue, type Invocation } from "./invocations";
export type {
  ConfigurationSetSnapshot,
  DeliveryStreamSnapshot,
  PolicyInput,
  RoleSnapshot,
  SeedEventDestination,
  SeedRole,
  SimulatorState,
} from "./seeding";
export type { DanglingDestination, DanglingRoleDeletion, DeliveryStreamStatus } from "./state";
export type {
  CallFilter,
  CallLog,
  CallLogEntry,
  FaultOptions,
  RateLimit,
  RateLimits,
  ServiceName,
} from "./traffic";
