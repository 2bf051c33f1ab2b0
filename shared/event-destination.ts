// Core layer: our SES event destination on one configuration set — read, create, repair and remove it.
import {
  CreateConfigurationSetEventDestinationCommand,
  DeleteConfigurationSetEventDestinationCommand,
  GetConfigurationSetEventDestinationsCommand,
  UpdateConfigurationSetEventDestinationCommand,
  type EventDestination,
  type EventDestinationDefinition,
} from "@aws-sdk/client-sesv2";
import type { Config, EventType } from "./config";
import { describeError, DestinationLimitError, isAwsError } from "./errors";
import { propagationBudgetMs, withPropagationRetry } from "./propagation";
import { ignoring, read, write, type Run } from "./run-context";

/** SES allows 10 event destinations per configuration set; the limit is not adjustable. */
export const MAX_EVENT_DESTINATIONS = 10;

export async function readDestinations(run: Run): Promise<EventDestination[]> {
  const { EventDestinations } = await read(run, "GetConfigurationSetEventDestinations", () =>
    run.deps.sesv2.send(new GetConfigurationSetEventDestinationsCommand({ ConfigurationSetName: run.name })),
  );
  return EventDestinations ?? [];
}

/** Our destination among the set's: the one with our configured name. */
export function ours(
  destinations: readonly EventDestination[],
  config: Config,
): EventDestination | undefined {
  return destinations.find((destination) => destination.Name === config.eventDestinationName);
}

/** Our destination as it should be; every field set, so comparing needs no guesswork. */
export interface DesiredDestination extends EventDestinationDefinition {
  Enabled: true;
  MatchingEventTypes: EventType[];
  KinesisFirehoseDestination: { IamRoleArn: string; DeliveryStreamArn: string };
}

export function desiredDestination(
  config: Config,
  roleArn: string,
  deliveryStreamArn: string,
): DesiredDestination {
  return {
    Enabled: true,
    MatchingEventTypes: [...config.eventTypes],
    KinesisFirehoseDestination: { IamRoleArn: roleArn, DeliveryStreamArn: deliveryStreamArn },
  };
}

/** Differences that matter: role ARN, stream ARN, enabled flag, and event types compared as sets. */
function destinationDiffers(current: EventDestination, desired: DesiredDestination): boolean {
  const currentTypes = new Set<string>(current.MatchingEventTypes ?? []);
  const desiredTypes = new Set<string>(desired.MatchingEventTypes);
  return (
    current.Enabled !== true ||
    current.KinesisFirehoseDestination?.IamRoleArn !== desired.KinesisFirehoseDestination.IamRoleArn ||
    current.KinesisFirehoseDestination?.DeliveryStreamArn !==
      desired.KinesisFirehoseDestination.DeliveryStreamArn ||
    currentTypes.size !== desiredTypes.size ||
    [...desiredTypes].some((type) => !currentTypes.has(type))
  );
}

export function destinationLimitError(run: Run): DestinationLimitError {
  return new DestinationLimitError(
    `Configuration set ${run.name} already has ${MAX_EVENT_DESTINATIONS} event destinations, the SES maximum, ` +
      `and none is named ${run.deps.config.eventDestinationName}: remove one so ours can be added (nothing was created).`,
  );
}

/** Runs an SES write, retrying the two IAM-propagation rejections within the run's budget. */
function withPropagation<T>(run: Run, call: () => Promise<T>): Promise<T> {
  const { config, clock, logger } = run.deps;
  return withPropagationRetry(call, {
    budgetMs: propagationBudgetMs(config.propagationTimeoutSeconds, run.options.remainingTimeMs),
    clock,
    onRetry: (attempt, delayMs, err) =>
      logger.info("SES cannot use the role yet (IAM propagation); retrying", {
        attempt,
        delayMs,
        error: describeError(err).message,
      }),
  });
}

/** Creates or repairs our destination; returns "created", "updated" or "unchanged". */
export async function ensureEventDestination(
  run: Run,
  current: EventDestination | undefined,
  desired: DesiredDestination,
): Promise<"created" | "updated" | "unchanged"> {
  const { sesv2, config, logger } = run.deps;
  const key = { ConfigurationSetName: run.name, EventDestinationName: config.eventDestinationName };

  if (current === undefined) {
    try {
      await write(run, "CreateConfigurationSetEventDestination", () =>
        withPropagation(run, () =>
          sesv2.send(
            new CreateConfigurationSetEventDestinationCommand({ ...key, EventDestination: desired }),
          ),
        ),
      );
      logger.info("created event destination", { eventDestinationName: config.eventDestinationName });
      return "created";
    } catch (err) {
      if (isAwsError(err, "LimitExceededException")) throw destinationLimitError(run);
      if (!isAwsError(err, "AlreadyExistsException")) throw err;
      logger.info("event destination created concurrently; reading it back");
      const readBack = ours(await readDestinations(run), config);
      if (readBack === undefined) {
        run.operation = "CreateConfigurationSetEventDestination";
        throw err;
      }
      current = readBack;
    }
  }
  if (!destinationDiffers(current, desired)) return "unchanged";
  await write(run, "UpdateConfigurationSetEventDestination", () =>
    withPropagation(run, () =>
      sesv2.send(new UpdateConfigurationSetEventDestinationCommand({ ...key, EventDestination: desired })),
    ),
  );
  logger.info("repaired event destination", { eventDestinationName: config.eventDestinationName });
  return "updated";
}

/** Deletes our destination by name; NotFound (no such set, or no such destination) means there is nothing to do. */
export async function deleteOurDestination(run: Run): Promise<void> {
  const { config, sesv2, logger } = run.deps;
  await ignoring(["NotFoundException"], async () => {
    await write(run, "DeleteConfigurationSetEventDestination", () =>
      sesv2.send(
        new DeleteConfigurationSetEventDestinationCommand({
          ConfigurationSetName: run.name,
          EventDestinationName: config.eventDestinationName,
        }),
      ),
    );
    logger.info("removed event destination", { eventDestinationName: config.eventDestinationName });
  });
}

export async function removeEventDestination(run: Run): Promise<void> {
  if (ours(await readDestinations(run), run.deps.config) !== undefined) await deleteOurDestination(run);
}
