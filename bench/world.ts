// Bench layer: seeding the simulator with configuration sets in the states a backfill meets, and the core's deps.
import { Logger } from "@aws-lambda-powertools/logger";
import { FirehoseClient } from "@aws-sdk/client-firehose";
import { IAMClient } from "@aws-sdk/client-iam";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { sdkClientConfig, type AwsClients } from "../shared/aws-clients";
import { loadConfig, type Config } from "../shared/config";
import {
  CONFIGURATION_SET_TAG_KEY,
  MANAGED_BY_TAG,
  REGION_TAG_KEY,
  partitionFor,
  roleArnFor,
  roleNameFor,
} from "../shared/naming";
import { INLINE_POLICY_NAME, permissionsPolicyFor, trustPolicyFor } from "../shared/policies";
import type { CoreDeps } from "../shared/deps";
import { DEFAULT_SERVICE_NAME } from "../shared/telemetry";
import type { Simulator } from "../simulator";

export const STREAM_NAME = "email-events";
export const TAG_KEY = "ses-firehose";

/** The four states a backfill meets; each costs a known number of SES calls (docs/backfill.md). */
export const SET_STATES = ["new", "correct", "notOptedIn", "optedOutLeftovers"] as const;
export type SetState = (typeof SET_STATES)[number];
export type Mix = Record<SetState, number>;

/** SES calls reconcile needs per state when the role listing is known: Get; Get + GetDestinations; + one write. */
export const SES_CALLS_PER_STATE: Mix = { new: 3, correct: 2, notOptedIn: 1, optedOutLeftovers: 3 };
/** IAM calls per state with the listing: Create + PutPolicy; GetRole + GetPolicy; none; GetRole + 2 deletes. */
export const IAM_CALLS_PER_STATE: Mix = { new: 2, correct: 2, notOptedIn: 0, optedOutLeftovers: 3 };

export function configFor(sim: Simulator, env: Record<string, string> = {}): Config {
  return loadConfig({
    DEFAULT_DELIVERY_STREAM_ARN: `arn:aws:firehose:${sim.region}:${sim.accountId}:deliverystream/${STREAM_NAME}`,
    ...env,
  });
}

/** SDK clients over HTTP to the simulator, configured as the functions configure theirs (adaptive retry). */
export function simulatorClients(sim: Simulator, maxAttempts = 8): AwsClients {
  const config = { ...sdkClientConfig({ maxAttempts }), ...sim.clientConfig() };
  return { sesv2: new SESv2Client(config), iam: new IAMClient(config), firehose: new FirehoseClient(config) };
}

export function silentLogger(): Logger {
  return new Logger({ serviceName: DEFAULT_SERVICE_NAME, logLevel: "SILENT" });
}

export function reconcileDeps(sim: Simulator, config: Config, clients: AwsClients): CoreDeps {
  return { ...clients, config, logger: silentLogger(), region: sim.region, accountId: sim.accountId };
}

/** Seeds one configuration set in `state`, directly (no HTTP, no call log). */
export function seedSet(sim: Simulator, config: Config, name: string, state: SetState): void {
  const streamArn = config.defaultDeliveryStreamArn!;
  const roleName = roleNameFor(config.roleNamePrefix, sim.region, name);
  const seedOurRole = () =>
    sim.state.createRole({
      name: roleName,
      path: config.rolePath,
      assumeRolePolicyDocument: trustPolicyFor(sim.region, sim.accountId, name),
      tags: {
        [MANAGED_BY_TAG.Key]: MANAGED_BY_TAG.Value,
        [CONFIGURATION_SET_TAG_KEY]: name,
        [REGION_TAG_KEY]: sim.region,
      },
      inlinePolicies: { [INLINE_POLICY_NAME]: permissionsPolicyFor(streamArn) },
    });
  const seedOurDestination = () =>
    sim.state.putEventDestination(name, {
      Name: config.eventDestinationName,
      Enabled: true,
      MatchingEventTypes: [...config.eventTypes],
      KinesisFirehoseDestination: {
        IamRoleArn: roleArnFor(partitionFor(sim.region), sim.accountId, config.rolePath, roleName),
        DeliveryStreamArn: streamArn,
      },
    });
  switch (state) {
    case "new":
      sim.state.createConfigurationSet(name, { [TAG_KEY]: "enabled" });
      return;
    case "notOptedIn":
      sim.state.createConfigurationSet(name, { team: "mail" });
      return;
    case "correct":
    case "optedOutLeftovers":
      // Wired as reconcile wires a set; opted out afterwards for the leftovers.
      sim.state.createConfigurationSet(name, { [TAG_KEY]: state === "correct" ? "enabled" : "disabled" });
      seedOurRole();
      seedOurDestination();
      return;
  }
}

/** Seeds `mix` sets, interleaved so every page of the listing holds every state; returns names per state. */
export function seedMix(
  sim: Simulator,
  config: Config,
  mix: Mix,
  prefix = "set",
): Record<SetState, string[]> {
  const names: Record<SetState, string[]> = { new: [], correct: [], notOptedIn: [], optedOutLeftovers: [] };
  const remaining = { ...mix };
  let index = 0;
  while (SET_STATES.some((state) => remaining[state] > 0)) {
    for (const state of SET_STATES) {
      if (remaining[state] === 0) continue;
      const name = `${prefix}-${String(index).padStart(5, "0")}`;
      index += 1;
      seedSet(sim, config, name, state);
      names[state].push(name);
      remaining[state] -= 1;
    }
  }
  return names;
}

export function total(mix: Mix): number {
  return SET_STATES.reduce((sum, state) => sum + mix[state], 0);
}

/** SES calls a backfill of `mix` needs at least: per-set calls plus one ListConfigurationSets per 1,000 sets. */
export function requiredSesCalls(mix: Mix, pageSize = 1000): number {
  const perSet = SET_STATES.reduce((sum, state) => sum + mix[state] * SES_CALLS_PER_STATE[state], 0);
  return perSet + Math.max(1, Math.ceil(total(mix) / pageSize));
}

export function requiredIamCalls(mix: Mix): number {
  return SET_STATES.reduce((sum, state) => sum + mix[state] * IAM_CALLS_PER_STATE[state], 0);
}

/** Read calls are Get*, List* and Describe*; everything else changes something. */
export function isWrite(operation: string): boolean {
  return !/^(Get|List|Describe)/.test(operation);
}
