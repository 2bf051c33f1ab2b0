// Core layer: the opt-in rules (docs/architecture.md) — a configuration set's tags and the configuration to what it should have.
import type { Config } from "./config";
import { InvalidTagValueError, StreamNotUsableError } from "./errors";
import { deliveryStreamArnFor, parseDeliveryStreamArn } from "./naming";

export const ENABLED_VALUES = ["enabled", "true", "on", "yes"] as const;
export const DISABLED_VALUES = ["disabled", "false", "off", "no"] as const;
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

export interface Tag {
  Key?: string | undefined;
  Value?: string | undefined;
}

export type DesiredState =
  { optedIn: false; reason: string } | { optedIn: true; deliveryStreamArn: string; reason: string };

function defaultStream(config: Config, because: string): DesiredState {
  if (config.defaultDeliveryStreamArn === undefined) {
    throw new StreamNotUsableError(
      `${because} asks for the default delivery stream, but DEFAULT_DELIVERY_STREAM_ARN is not configured: ` +
        `configure it, or tag the configuration set with a delivery stream name or ARN.`,
    );
  }
  return { optedIn: true, deliveryStreamArn: config.defaultDeliveryStreamArn, reason: because };
}

/**
 * What the configuration set should have, from its opt-in tag and the configuration (docs/architecture.md, "Opt-in rules").
 * Throws InvalidTagValueError (naming the tag, the value and what is accepted) or StreamNotUsableError
 * when the default stream is asked for but none is configured. Stream ARNs are returned as given;
 * resolveDeliveryStream checks their region, account and status.
 */
export function desiredStateFor(
  tags: readonly Tag[],
  config: Config,
  where: { region: string; accountId: string },
): DesiredState {
  const tag = tags.find((candidate) => candidate.Key === config.optInTagKey);
  if (tag === undefined) {
    return config.optInMode === "all"
      ? defaultStream(config, `OPT_IN_MODE=all (no "${config.optInTagKey}" tag)`)
      : { optedIn: false, reason: `no "${config.optInTagKey}" tag` };
  }
  const value = (tag.Value ?? "").trim();
  const lower = value.toLowerCase();
  if ((DISABLED_VALUES as readonly string[]).includes(lower)) {
    return { optedIn: false, reason: `tag ${config.optInTagKey}=${value}` };
  }
  if ((ENABLED_VALUES as readonly string[]).includes(lower)) {
    return defaultStream(config, `Tag ${config.optInTagKey}=${value}`);
  }
  if (value.startsWith("arn:")) {
    if (parseDeliveryStreamArn(value) !== undefined) {
      return { optedIn: true, deliveryStreamArn: value, reason: `tag ${config.optInTagKey}=${value}` };
    }
  } else if (STREAM_NAME.test(value)) {
    return {
      optedIn: true,
      deliveryStreamArn: deliveryStreamArnFor(where.region, where.accountId, value),
      reason: `tag ${config.optInTagKey}=${value}`,
    };
  }
  throw new InvalidTagValueError(
    `Tag ${config.optInTagKey}="${tag.Value ?? ""}" is not valid: accepted values are ` +
      `${ENABLED_VALUES.join("/")} (default stream), ${DISABLED_VALUES.join("/")} (opt out), ` +
      `a delivery stream name (1-64 of a-z A-Z 0-9 _ . -) or a delivery stream ARN ` +
      `(arn:aws:firehose:<region>:<account>:deliverystream/<name>).`,
  );
}
