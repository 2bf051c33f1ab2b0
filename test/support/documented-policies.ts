// Test support: the AWS documentation's trust and permissions policies (test/fixtures/aws-doc-policies.json) with
// its placeholders filled in — what every policy the project creates must equal.
import docPolicies from "../fixtures/aws-doc-policies.json";

export interface DocumentedPolicies {
  trustPolicy: object;
  permissionsPolicy: object;
}

export interface Placeholders {
  region: string;
  configurationSet: string;
  streamName: string;
  /** Defaults to the documentation's own 111122223333. */
  accountId?: string;
}

/** A fresh copy each call, so a test may mutate it. */
export function documentedPolicies({
  region,
  configurationSet,
  streamName,
  accountId = "111122223333",
}: Placeholders): DocumentedPolicies {
  const fill = (document: object): object =>
    JSON.parse(
      JSON.stringify(document)
        .replaceAll("delivery-region", region)
        .replaceAll("111122223333", accountId)
        .replaceAll("delivery-stream-name", streamName)
        .replaceAll("configuration-set-name", configurationSet),
    ) as object;
  return {
    trustPolicy: fill(docPolicies.trustPolicy),
    permissionsPolicy: fill(docPolicies.permissionsPolicy),
  };
}
