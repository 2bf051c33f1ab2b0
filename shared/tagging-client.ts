// Infrastructure layer: the Resource Groups Tagging API client. Only the backfill reads the tag index, so it lives
// apart from aws-clients.ts, which every function bundles.
import { ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import { sdkClientConfig, type ClientOptions } from "./aws-clients";

/** Adaptive retry like the others; the endpoint comes from AWS_ENDPOINT_URL(_RESOURCE_GROUPS_TAGGING_API). */
export function createTaggingClient(options: ClientOptions = {}): ResourceGroupsTaggingAPIClient {
  return new ResourceGroupsTaggingAPIClient(sdkClientConfig(options));
}
