// End-to-end test (built bundles + simulator): every tag path reaches the tagged function and converges the set —
// AWS's Tag Change on Resource (added, removed), the tagging API over two sets, and a PascalCase SES record.
import { TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-sesv2";
import type { ReportEntry } from "../../shared/report";
import {
  readWiring,
  startE2eWorld,
  tagChangeEvent,
  taggingApiEvent,
  tagEvent,
  unwiredProblems,
  wiringProblems,
  type E2eWorld,
} from "../support/e2e";
import { assertBuilt, resultOf, type LambdaContainer } from "../support/lambda-runtime";

type EventResult = { status: "reconciled"; results: ReportEntry[] } | { status: "ignored"; reason: string };

let world: E2eWorld;
let tagged: LambdaContainer;

const arnOf = (name: string) => `arn:aws:ses:${world.region}:${world.accountId}:configuration-set/${name}`;

async function outcomesOf(event: unknown): Promise<Record<string, string>> {
  const result = resultOf(await tagged.invoke<EventResult>(event));
  if (result.status !== "reconciled") throw new Error(`event ignored: ${result.reason}`);
  return Object.fromEntries(result.results.map((entry) => [entry.configurationSet, entry.outcome]));
}

beforeAll(async () => {
  assertBuilt();
  world = await startE2eWorld();
  tagged = await world.container("OnConfigurationSetTaggedFunction");
});

afterAll(async () => {
  await world?.stop();
});

describe("Tag Change on Resource, through the built tagged function", () => {
  it("wires a set whose opt-in tag was added", async () => {
    // Prepare: Tag Editor adds the tag; AWS sends a Tag Change (no trail needed)
    world.sim.state.createConfigurationSet("newsletter", { team: "growth" });
    await world.clients.sesv2.send(
      new TagResourceCommand({
        ResourceArn: arnOf("newsletter"),
        Tags: [{ Key: "ses-firehose", Value: "enabled" }],
      }),
    );
    // Act
    const outcomes = await outcomesOf(
      tagChangeEvent("newsletter", { team: "growth", "ses-firehose": "enabled" }, ["ses-firehose"]),
    );
    // Assess
    expect(outcomes).toEqual({ newsletter: "created" });
    expect(wiringProblems(world, await readWiring(world, "newsletter"), world.defaultStreamArn)).toEqual([]);
  });

  it("removes the destination and the role when a Tag Change says the opt-in tag is gone", async () => {
    // Prepare
    await world.clients.sesv2.send(
      new UntagResourceCommand({ ResourceArn: arnOf("newsletter"), TagKeys: ["ses-firehose"] }),
    );
    // Act
    const outcomes = await outcomesOf(tagChangeEvent("newsletter", { team: "growth" }, ["ses-firehose"]));
    // Assess
    expect(outcomes).toEqual({ newsletter: "removed" });
    const wiring = await readWiring(world, "newsletter");
    expect(unwiredProblems(wiring)).toEqual([]);
    expect(world.sim.state.getConfigurationSet("newsletter")).toBeDefined();
  });
});

describe("the Resource Groups Tagging API and PascalCase records, through the built tagged function", () => {
  it("wires both sets of one TagResources call", async () => {
    // Prepare
    world.sim.state.createConfigurationSet("billing", { "ses-firehose": "enabled" });
    world.sim.state.createConfigurationSet("alerts", { "ses-firehose": "enabled" });
    // Act
    const outcomes = await outcomesOf(taggingApiEvent(["billing", "alerts"], { "ses-firehose": "enabled" }));
    // Assess
    expect(outcomes).toEqual({ billing: "created", alerts: "created" });
    for (const name of ["billing", "alerts"]) {
      expect(wiringProblems(world, await readWiring(world, name), world.defaultStreamArn)).toEqual([]);
    }
  });

  it("wires the set of a TagResource record logged in PascalCase", async () => {
    // Prepare
    world.sim.state.createConfigurationSet("receipts", { "ses-firehose": "on" });
    const event = tagEvent("receipts", { "ses-firehose": "on" });
    event.detail.requestParameters = {
      ResourceArn: arnOf("receipts"),
      Tags: [{ Key: "ses-firehose", Value: "on" }],
    };
    // Act
    const outcomes = await outcomesOf(event);
    // Assess
    expect(outcomes).toEqual({ receipts: "created" });
    expect(wiringProblems(world, await readWiring(world, "receipts"), world.defaultStreamArn)).toEqual([]);
  });
});
