// Core layer: tag discovery — which configuration sets a backfill must look at, learnt without a single SES call.
import type { Logger } from "@aws-lambda-powertools/logger";
import type { IAMClient } from "@aws-sdk/client-iam";
import {
  paginateGetResources,
  type ResourceGroupsTaggingAPIClient,
} from "@aws-sdk/client-resource-groups-tagging-api";
import type { Config } from "./config";
import { roleOwner } from "./backfill-sources";
import { describeError, TagDiscoveryError } from "./errors";
import { CONFIGURATION_SET_NAME_PATTERN, partitionFor } from "./naming";

/** How a backfill finds its sets: `tags` (the candidates below) or `list` (every set: ListConfigurationSets). */
export const DISCOVERIES = ["tags", "list"] as const;
export type Discovery = (typeof DISCOVERIES)[number];

/** The Resource Groups Tagging API's name for SES configuration sets (`service:resourceType`, as in their ARNs). */
export const CONFIGURATION_SET_RESOURCE_TYPE = "ses:configuration-set";
/** GetResources returns at most 100 resources per page. */
const RESOURCES_PER_PAGE = 100;
const CONFIGURATION_SET_ARN = /^arn:([a-z-]+):ses:([a-z0-9-]+):(\d{12}):configuration-set\/(.+)$/;

export interface DiscoveryDeps {
  tagging: ResourceGroupsTaggingAPIClient;
  iam: IAMClient;
  config: Config;
  logger: Logger;
  region: string;
  accountId: string;
}

export interface Candidates {
  /** Every candidate once, sorted by name (a continued run resumes after a name: docs/architecture.md "Backfill"). */
  names: string[];
  /** Sets the tag index says carry the opt-in tag key (any value). */
  tagged: number;
  /** Sets named by a role under our path (this region's). */
  managed: number;
  /** GetResources pages read. */
  pages: number;
}

/**
 * `all` mode makes every set a candidate, which only a listing can find; in `tag` mode the tag index and our
 * roles name every set that can need work.
 */
export function defaultDiscovery(config: Pick<Config, "optInMode">): Discovery {
  return config.optInMode === "all" ? "list" : "tags";
}

/** The set an ARN names when it is a configuration set of this partition, region and account. */
function configurationSetOf(arn: string, deps: Pick<DiscoveryDeps, "region" | "accountId">) {
  const match = CONFIGURATION_SET_ARN.exec(arn);
  if (match === null) return undefined;
  const [, partition, region, account, name = ""] = match;
  const here =
    partition === partitionFor(deps.region) && region === deps.region && account === deps.accountId;
  return here && CONFIGURATION_SET_NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * The configuration sets that carry the opt-in tag key (any value: `disabled` sets may still hold our
 * resources), read from the Resource Groups Tagging API with the SDK's paginator. Other regions' and
 * accounts' ARNs are ignored. Any error is a TagDiscoveryError, never an empty result.
 */
export async function taggedConfigurationSets(
  deps: DiscoveryDeps,
): Promise<{ names: Set<string>; pages: number }> {
  const names = new Set<string>();
  let pages = 0;
  try {
    for await (const page of paginateGetResources(
      { client: deps.tagging, pageSize: RESOURCES_PER_PAGE },
      {
        ResourceTypeFilters: [CONFIGURATION_SET_RESOURCE_TYPE],
        TagFilters: [{ Key: deps.config.optInTagKey }],
      },
    )) {
      pages += 1;
      for (const { ResourceARN: arn } of page.ResourceTagMappingList ?? []) {
        const name = arn === undefined ? undefined : configurationSetOf(arn, deps);
        if (name !== undefined) names.add(name);
        else deps.logger.debug("tag index returned a resource that is not a set of ours; ignored", { arn });
      }
    }
  } catch (err) {
    const { name, message } = describeError(err);
    throw new TagDiscoveryError(
      `Tag discovery failed: the Resource Groups Tagging API's GetResources answered ${name}: ` +
        `${message.replace(/\.?$/, ".")} ` +
        `Nothing was reconciled. Grant tag:GetResources (Resource "*"), or run a full audit ` +
        `({"discovery": "list"}, CLI --full), which does not use the tagging API.`,
      { cause: err },
    );
  }
  return { names, pages };
}

/**
 * The candidates of a `tags` backfill: the union of the sets the tag index lists with the opt-in key and the
 * sets our roles were made for (a set that lost its tag while its event was missed, or that no longer exists,
 * still has our role). Each is then confirmed by reconcile's GetConfigurationSet: the index is eventually
 * consistent, SES is the truth. A set that is neither tagged nor managed is not a candidate and costs nothing.
 */
export async function discoverCandidates(
  deps: DiscoveryDeps,
  managedRoleNames: ReadonlySet<string>,
): Promise<Candidates> {
  const tagged = await taggedConfigurationSets(deps);
  const managed = new Set<string>();
  for (const roleName of [...managedRoleNames].sort()) {
    const owner = await roleOwner(deps, roleName);
    if (owner !== undefined) managed.add(owner);
  }
  const names = [...new Set([...tagged.names, ...managed])].sort();
  deps.logger.info("tag discovery found the candidates", {
    candidates: names.length,
    tagged: tagged.names.size,
    managed: managed.size,
    tagIndexPages: tagged.pages,
  });
  return { names, tagged: tagged.names.size, managed: managed.size, pages: tagged.pages };
}
